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
