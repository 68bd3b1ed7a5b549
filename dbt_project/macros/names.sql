{#- The matching key of an enterprise name: the same name as departments write it differently
    (traditional characters, full-width brackets and letters, spaces, 有限责任公司 for 有限公司) gives the same key. -#}

{#- Traditional -> simplified for characters common in enterprise names (pairs: traditional, simplified). -#}

{% macro name_key(expr) -%}
    {{ return(adapter.dispatch('name_key')(expr)) }}
{%- endmacro %}
{% macro default__name_key(expr) -%}
    {%- set pairs = "東东 業业 電电 機机 華华 國国 貿贸 紡纺 織织 門门 廣广 興兴 紹绍 張张 烏乌 義义 龍龙 發发 實实 網网 絡络 設设 備备 藥药 醫医 裝装 飾饰 產产 寧宁 達达 豐丰 匯汇 體体 導导 術术 進进 紅红 順顺 聯联 眾众 錦锦 繡绣 銀银 輝辉 鵬鹏 駿骏 飛飞 雲云 億亿 萬万 灣湾 際际 計计 訊讯 車车 鋼钢 鐵铁 屬属 製制 團团 務务 責责 氣气 陽阳 開开 關关 麗丽 衛卫 護护 現现 環环 層层 廠厂 場场 報报 動动 勞劳 區区 縣县 鎮镇 鄉乡 嶺岭 臺台 營营 貨货 運运 輸输 倉仓 儲储 鋁铝 銅铜 鍍镀 纖纤 維维 絲丝 線线 紗纱 綢绸 緞缎 傢家 燈灯 腦脑 軟软 資资 數数 據据 顯显 膠胶 農农 藝艺 畫画 療疗 檢检 測测 驗验 認认 證证 諮咨 詢询 顧顾 問问 飲饮 館馆 樂乐 遊游 戲戏 傳传 廣广 師师 範范 學学 園园 員员 組组 協协 會会 銷销 買买 賣卖 兩两 濟济 經经 條条 號号 樓楼 莊庄 鄭郑 陳陈 劉刘 楊杨 趙赵 黃黄 吳吴 孫孙 馬马 許许 鄧邓 馮冯 韓韩 蔣蒋 蘇苏 呂吕 葉叶 盧卢 羅罗 謝谢 鍾钟 歐欧 齊齐 創创 納纳 萊莱 賽赛 潔洁 淨净 滬沪 閩闽 贛赣 魯鲁 粵粤 瓊琼 貴贵 陝陕 隴陇 寶宝 鴻鸿 鈺钰 鋒锋 標标 準准 峯峰 裏里 綠绿 藍蓝 優优 質质 選选 響响 聲声 視视 頻频 無无 邊边 遠远 遼辽 連连 鏈链 碼码 庫库 貝贝 類类 戶户 熱热 潤润 澤泽 濱滨 灘滩 潮潮 彙汇 鑽钻 鏡镜 錶表 鐘钟 鍋锅 爐炉 礦矿 煉炼 鑄铸 鍛锻 輪轮 軸轴 電电 纜缆 橋桥 幣币 銀银 貸贷 險险 償偿 權权 稅税 費费 價价 總总 廳厅 餘余 須须 髮发 麵面 雞鸡 魚鱼 鮮鲜 鹽盐 湯汤 糧粮 飼饲 養养 種种 麥麦 葯药 鋪铺 櫃柜 箱箱 盤盘 捲卷 紙纸 筆笔 書书 畫画 騰腾 訂订 購购 揚扬 暢畅 慶庆 滙汇 廈厦 嘉嘉 滿满 爾尔 奧奥 濤涛 韻韵 瀾澜 濰潍 峽峡 灝灏" -%}
    {%- set traditional = [] -%}{%- set simplified = [] -%}
    {%- for pair in pairs.split() -%}{%- do traditional.append(pair[0]) -%}{%- do simplified.append(pair[1]) -%}{%- endfor -%}
    {#- translate() costs (characters x map size) per row: scan for a traditional character first (a regex
        character class is one fast pass) and translate only the names that have one -#}
    {%- set folded = "case when " ~ regex_contains("upper(" ~ to_half_width(expr) ~ ")", "[" ~ (traditional | join("")) ~ "]")
        ~ " then translate(upper(" ~ to_half_width(expr) ~ "), '" ~ (traditional | join("")) ~ "', '" ~ (simplified | join(""))
        ~ "') else upper(" ~ to_half_width(expr) ~ ") end" -%}
    nullif(replace(replace(replace(replace(replace(replace(replace({{ folded }},
        ' ', ''), '　', ''), '(', ''), ')', ''), '"', ''), '有限责任公司', '有限公司'), '股份有限公司', '股份公司'), '')
{%- endmacro %}
