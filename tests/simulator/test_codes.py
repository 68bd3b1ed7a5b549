"""The national identifier standards, checked against the examples published with them."""
from simulator import codes


def test_gb11714_published_example():
    assert codes.org_check_char("D2143569") == "X"
    assert codes.is_valid_org_code("D2143569-X")
    assert not codes.is_valid_org_code("D2143569-1")


def test_gb32100_published_example():
    assert codes.is_valid_uscc("91350100M000100Y43")
    assert not codes.is_valid_uscc("91350100M000100Y44")
    assert not codes.is_valid_uscc("91350100M000100Y4")  # too short
    assert not codes.is_valid_uscc("91350100M000100I43")  # I is not in the character set


def test_gb11643_published_example():
    assert codes.id_number_check("11010519491231002") == "X"


def test_uscc_embeds_a_valid_organization_code():
    org = "MA2" + "C0K3P"
    org += codes.org_check_char(org)
    uscc = codes.make_uscc("9", "1", "441900", org)
    assert codes.is_valid_uscc(uscc) and uscc[8:17] == org


def test_break_check_always_breaks():
    uscc = "91350100M000100Y43"
    assert all(not codes.is_valid_uscc(codes.break_check(uscc, k)) for k in range(40))


def test_full_width():
    assert codes.to_full_width("91a-") == "９１ａ－"


def test_a_root_of_more_than_a_hundred_chunks_keeps_external_codes_apart_from_local_ones(tmp_path):
    """A province (10M enterprises) is 200 chunks of 50,000: every chunk's enterprises registered elsewhere take ids
    of their own. Here 101 chunks of 120, the externals' GB 11714 codes never a local's."""
    import duckdb

    from simulator.generate import generate

    generate(tmp_path, 12_120, seed=5, months=2, chunk_size=120, progress=False)
    con = duckdb.connect()
    local = {r[0] for r in con.execute("select org_code from read_parquet($p)",
                                       {"p": str(tmp_path / "_truth" / "enterprises.parquet")}).fetchall()}
    external = {r[0][8:17] for r in con.execute(
        "select source_record_key from read_parquet($p) where owner_kind = 'external_enterprise' "
        "and source_system = 'tax' and length(source_record_key) = 18",
        {"p": str(tmp_path / "_truth" / "source_records.parquet")}).fetchall()}
    assert len(local) == 12_120 and len(external) > 101
    assert not local & external
