"""The name comparison of candidate pairs: every name of the customer against every name of the account.

An account can carry a real name, recipient names and a nickname; a customer a name and aliases. Each pair of
names gets the first level of :data:`linker.resolve.model.NAME` that applies, and a candidate pair the best level
over its pairs of names. Chinese names are also compared through their pinyin, split into surname (compound
surnames included) and given name, so that ``wuzhiqi_860``, ``Zhiqi Wu``, ``wzq1990``, ``小琪`` and ``吴*琪`` are
recognised as forms of 吴志琪, and ``王芳`` as another person's name.

A name tells nothing when it is blank, or is a platform's default handle: letters shared by many distinct account
names that differ only in their digits (``用户619025``, ``jd_8273645``), counted in the data being linked. Such a
name makes no level (the comparison is not made) unless it happens to spell the customer's name.

All of it is SQL over the distinct names and distinct pairs of names; pinyin comes from a character table.
"""

from __future__ import annotations

import duckdb

from linker.engine import Engine, as_engine
from linker.engine.base import TableKind
from linker.resolve.model import NAME
from linker.resolve.names import names_of_owner_sql, register_pinyin

COMPOUND_SURNAMES = (
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕",
    "令狐", "钟离", "端木", "独孤", "南宫", "万俟", "闻人", "百里", "呼延", "东郭", "西门", "澹台", "公冶", "太史",
    "申屠", "濮阳", "赫连", "拓跋", "单于", "第五", "司空", "鲜于", "闾丘", "仲孙", "亓官", "司寇", "子车", "颛孙",
)
"""Two-character surnames, so that 欧阳娜娜's given name is 娜娜."""
COMMON_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢"
                   "姚沈钟姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱侯江尹薛闫阎段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔"
                   "向常汤康易乔赖文施洪辛柯庄樊祝牛古冉代葛温鲁俞齐倪殷岳")
"""Common one-character surnames; with the surnames of the customers being linked, they tell a person's name
(王芳) from a nickname (快乐小猪)."""
COMMON_GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红文辉建国志宇鑫波斌宁浩凯俊丹欣怡佳雪梅琳晨阳慧颖婷瑞"
    "子轩涵梓萱博然诺依妍雨桐馨思琪晓东海峰亮飞鹏林春燕莉娇蓉美倩洁晶月彤琦璐瑶薇菲露芸岚琴凤霖淑珍贞惠芬云莹"
    "荣雅蕾薇昊天宏伦翔旭刘成康家豪嘉俊睿泽铭哲彬诚新立永福祥发生德兴忠义礼智信仁安乐和顺利财富贵宝金银山石川"
    "江河湖森松柏梅竹菊荷兵武斌冰清正道德远达航帆晖煜炜琳瑾瑜璇琼珊珠璐莎丝楠柳芝茜苗芹蓓蕊菁萌萍敬仪悦颜"
    "晴朗光辉耀军民国庆春夏秋冬红兰紫青翠绿蓝白晗曦昕晟昌盛启迪钰锦鸿鹤凌云霄浪波涌涵泽源淇潇澜沛湘汉中华"
    "学思宸逸辰奕彦彧珂琛瑄璟佩纯婉娴妮姗婕姝媛婧娅妤娥姣丰富振兴俊杰伯仲叔季之以于一二三五六七九十大小少"
    "长寿喜乐欢庆宝贝玲珑巧灵秀慧聪颖锋锐钢铁镇守卫保护坤乾坚毅力勤奋士进步升高峻峰岩峥嵘崇尚书琴画翰墨亦"
)
"""Characters common in Chinese given names; with those of the customers being linked, they tell a person's name
(王芳) from a nickname that starts with a surname character (夏天的风)."""
GENERIC_NAMES = ("用户", "会员", "手机用户", "微信用户", "匿名", "匿名用户", "买家", "客户", "顾客", "游客", "新用户",
                 "user", "guest", "customer", "buyer", "member", "test", "unknown", "anonymous", "null", "none",
                 "admin", "未知", "无", "测试")
"""Names that name nobody, in any spelling of case and digits."""
HANDLE_STEM_NAMES = 5
"""A name's letters, without its digits, shared by this many distinct account names make a platform default."""

_STRIP = "[\\s\\p{P}\\p{S}0-9_]"
MAX_CJK_NAME = 6
"""The longest name in Chinese characters read as a name (surname and given name); a longer one is a phrase."""


def _customer_forms_sql(names: str) -> str:
    """``name, chars, is_cjk, surname, given, py_full, py_rev, py_given, initials, sur_gi, gi_sur`` per distinct
    name of relation ``names`` (column ``name``)."""
    compound = ", ".join(f"'{s}'" for s in COMPOUND_SURNAMES)
    # the pinyin of each character, position by position (a name is short): a join per position costs far less
    # than unnesting the characters and gathering their syllables back in order
    positions = range(1, MAX_CJK_NAME + 1)
    joins = "\n            ".join(f"LEFT JOIN pinyin_chars p{k} ON p{k}.ch = substr(c.chars, {k}, 1)" for k in positions)
    syllables = "[" + ", ".join(f"p{k}.py" for k in positions) + "]"
    spelled = " AND ".join(f"(length(c.chars) < {k} OR p{k}.py IS NOT NULL)" for k in positions)
    return f"""
        WITH base AS (
            SELECT name, lower(regexp_replace(name, '{_STRIP}', '', 'g')) AS chars
            FROM (SELECT DISTINCT name FROM {names} WHERE name IS NOT NULL)),
        cjk AS (
            SELECT name, chars, CASE WHEN left(chars, 2) IN ({compound}) AND length(chars) >= 3 THEN 2 ELSE 1 END
                                    AS sur_len
            FROM base WHERE regexp_full_match(chars, '\\p{{Han}}{{2,{MAX_CJK_NAME}}}')),
        spelled AS (
            SELECT c.name, c.chars, c.sur_len, CASE WHEN {spelled} THEN {syllables}[1:length(c.chars)] END AS pys
            FROM cjk c
            {joins}),
        cjk_forms AS (
            SELECT name, chars, TRUE AS is_cjk, left(chars, sur_len) AS surname, substr(chars, sur_len + 1) AS given,
                   array_to_string(pys[1:sur_len], '') AS py_sur,
                   array_to_string(pys[sur_len + 1:length(chars)], '') AS py_given,
                   array_to_string(list_transform(pys, lambda p: left(p, 1)), '') AS initials,
                   array_to_string(list_transform(pys[sur_len + 1:length(chars)], lambda p: left(p, 1)), '')
                       AS given_initials,
                   pys IS NOT NULL AS spelled
            FROM spelled),
        latin AS (
            SELECT name, chars,
                   list_filter(string_split(trim(lower(regexp_replace(name, '[^A-Za-z]+', ' ', 'g'))), ' '),
                               lambda t: t <> '') AS tokens
            FROM base WHERE regexp_full_match(chars, '[a-z]{{2,}}'))
        SELECT name, chars, is_cjk, surname, given, substr(given, 1, 1) AS given1,
               coalesce(nullif(substr(given, 2, 1), ''), '\x00') AS given2,
               CASE WHEN spelled THEN py_sur || py_given END AS py_full,
               CASE WHEN spelled THEN py_given || py_sur END AS py_rev,
               CASE WHEN spelled THEN py_given END AS py_given,
               CASE WHEN spelled THEN initials END AS initials,
               CASE WHEN spelled THEN py_sur || given_initials END AS sur_gi,
               CASE WHEN spelled THEN given_initials || py_sur END AS gi_sur,
               CASE WHEN spelled THEN py_sur END AS py_sur
        FROM cjk_forms
        UNION ALL
        SELECT name, chars, FALSE, NULL, NULL, NULL, NULL, array_to_string(tokens, ''),
               array_to_string(list_reverse(tokens), ''),
               NULL, array_to_string(list_transform(tokens, lambda t: left(t, 1)), ''), NULL, NULL, NULL
        FROM latin WHERE len(tokens) >= 2
        UNION ALL
        SELECT name, chars, FALSE, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM base WHERE chars <> '' AND NOT regexp_full_match(chars, '\\p{{Han}}{{2,{MAX_CJK_NAME}}}')
                    AND name NOT IN (SELECT name FROM latin WHERE len(tokens) >= 2)
    """


def account_forms_sql(names: str) -> str:
    """SQL: ``name, chars, cjk, cjk_py, letters, mask_re, has_digits`` per distinct name of relation ``names``
    (column ``name``); reads ``pinyin_chars`` (:func:`~linker.resolve.names.register_pinyin`)."""
    return f"""
        WITH base AS (
            SELECT name, lower(regexp_replace(name, '{_STRIP}', '', 'g')) AS chars,
                   regexp_replace(name, '[^\\p{{Han}}]', '', 'g') AS cjk,
                   lower(regexp_replace(name, '[^A-Za-z]', '', 'g')) AS letters,
                   CASE WHEN regexp_matches(name, '[*＊]')
                        THEN regexp_replace(regexp_replace(name, '[^\\p{{Han}}*＊]', '', 'g'), '[*＊]', '.', 'g') END
                       AS mask_re,
                   regexp_matches(name, '[0-9]') AS has_digits
            FROM (SELECT DISTINCT name FROM {names} WHERE name IS NOT NULL)),
        sounds AS (
            SELECT b.name, string_agg(p.py, '' ORDER BY c.i) AS cjk_py, count(p.py) = count(*) AS spelled
            FROM (SELECT name, cjk, unnest(range(length(cjk))) AS i FROM base WHERE cjk <> '') c
            JOIN base b USING (name)
            LEFT JOIN pinyin_chars p ON p.ch = substr(c.cjk, c.i + 1, 1)
            GROUP BY b.name)
        SELECT b.name, b.chars, b.cjk, CASE WHEN s.spelled THEN s.cjk_py END AS cjk_py, b.letters, b.mask_re,
               b.has_digits
        FROM base b LEFT JOIN sounds s USING (name)
    """


def _level_sql() -> str:
    """SQL: the NAME level index of a customer name ``c`` and an account name ``a``, the first that applies."""
    level = {name: i for i, name in enumerate(NAME.level_names())}
    same_surname = "left(a.cjk, length(c.surname)) = c.surname"
    return f"""CASE
        WHEN a.chars = c.chars THEN {level['exact']}
        WHEN a.mask_re IS NOT NULL AND c.is_cjk AND length(a.mask_re) = length(c.chars)
             AND regexp_full_match(c.chars, a.mask_re) THEN {level['masked']}
        WHEN (a.cjk = '' AND a.letters <> '' AND a.letters IN (c.py_full, c.py_rev))
          OR (a.cjk <> '' AND a.cjk = a.chars AND a.cjk_py IN (c.py_full, c.py_rev)) THEN {level['pinyin']}
        WHEN (c.is_cjk AND contains(a.cjk, c.chars))
          OR (length(c.py_full) >= 5 AND (contains(a.letters, c.py_full) OR contains(a.letters, c.py_rev)))
            THEN {level['contains_full']}
        WHEN (c.is_cjk AND a.cjk = a.chars AND length(c.chars) >= 3 AND {same_surname}
              AND damerau_levenshtein(a.cjk, c.chars) = 1)
          OR (a.cjk = '' AND length(c.py_full) >= 6
              AND least(damerau_levenshtein(a.letters, c.py_full), damerau_levenshtein(a.letters, c.py_rev)) = 1)
            THEN {level['close']}
        WHEN (length(c.given) >= 2 AND contains(a.cjk, c.given))
          OR (length(c.py_given) >= 5 AND contains(a.letters, c.py_given)) THEN {level['given_name']}
        WHEN c.is_cjk AND a.cjk <> '' AND (contains(a.cjk, '小' || c.given1) OR contains(a.cjk, '阿' || c.given1)
                                          OR contains(a.cjk, '小' || c.given2) OR contains(a.cjk, '阿' || c.given2)
                                          OR contains(a.cjk, '老' || c.surname)) THEN {level['diminutive']}
        WHEN (length(c.initials) >= 3 AND starts_with(a.letters, c.initials))
          OR (length(c.sur_gi) >= 4 AND contains(a.letters, c.sur_gi))
          OR (length(c.gi_sur) >= 4 AND contains(a.letters, c.gi_sur)) THEN {level['initials']}
        WHEN a.namelike AND c.is_cjk AND {same_surname} THEN {level['surname_only']}
        WHEN a.namelike THEN {level['different_name']}
        ELSE {level['unrelated_nickname']} END"""


def name_pairs_sql(pairs: str) -> str:
    """SQL: one row per candidate pair of relation ``pairs`` (``customer_id``, ``account_id``; each pair once)
    and pair of their names (``cname``, ``aname``): the rows :func:`account_name_flags` and :func:`name_levels`
    read."""
    return f"""
        WITH p AS (SELECT customer_id, account_id FROM {pairs}),
        cn AS (SELECT customer_id, unnest({names_of_owner_sql()}) AS cname
               FROM customers WHERE customer_id IN (SELECT customer_id FROM p)),
        an AS (SELECT account_id, unnest({names_of_owner_sql()}) AS aname
               FROM accounts WHERE account_id IN (SELECT account_id FROM p))
        SELECT p.customer_id, p.account_id, cn.cname, an.aname
        FROM p JOIN cn USING (customer_id) JOIN an USING (account_id)"""


def account_name_flags(engine: Engine | duckdb.DuckDBPyConnection, name_pairs: str, account_forms: str, *,
                       target: str = "account_name_flags", kind: TableKind = "temp") -> None:
    """Create ``target(name, generic, namelike)`` for every account name of the candidate pairs' names in relation
    ``name_pairs`` (:func:`name_pairs_sql`), with the statistics they rest on counted over those names: handle
    stems (a platform's default handles make a name ``generic``) and the surnames and given-name characters of
    the customers (which make a name ``namelike``).

    An update (:mod:`linker.update`) compares only some pairs again; it counts the flags over all candidate
    pairs and hands them to :func:`name_levels`, so that each pair gets the level a full run gives it.

    ``account_forms``: a table of :func:`account_forms_sql` over exactly the account names of ``name_pairs`` (the
    statistics are counted over its names); a run builds it once, for the flags and the levels.
    """
    engine = as_engine(engine)
    compound = ", ".join(f"'{s}'" for s in COMPOUND_SURNAMES)
    generic = ", ".join(f"'{g}'" for g in GENERIC_NAMES)
    # a name has a mask pattern when it holds a mask character
    forms = f"SELECT name, chars, cjk, letters, mask_re IS NOT NULL AS masked, has_digits FROM {account_forms}"
    engine.create_table(target, f"""
        WITH name_pairs AS (SELECT * FROM {name_pairs}),
        account_name_forms AS ({forms}),
        customer_chars AS (
            SELECT chars, CASE WHEN left(chars, 2) IN ({compound}) AND length(chars) >= 3 THEN 2 ELSE 1 END AS sur_len
            FROM (SELECT DISTINCT lower(regexp_replace(name, '{_STRIP}', '', 'g')) AS chars
                  FROM (SELECT DISTINCT cname AS name FROM name_pairs WHERE cname IS NOT NULL))
            WHERE regexp_full_match(chars, '\\p{{Han}}{{2,{MAX_CJK_NAME}}}')),
        stems AS (SELECT chars FROM account_name_forms WHERE has_digits
                  GROUP BY chars HAVING count(*) >= {HANDLE_STEM_NAMES}),
        surnames AS (SELECT DISTINCT left(chars, sur_len) AS surname FROM customer_chars
                     UNION SELECT unnest(string_split('{COMMON_SURNAMES}', ''))),
        given_chars AS (SELECT DISTINCT unnest(string_split(substr(chars, sur_len + 1), '')) AS ch FROM customer_chars
                        UNION SELECT unnest(string_split('{COMMON_GIVEN_CHARS}', ''))),
        split AS (SELECT f.name, f.cjk,
                         CASE WHEN left(f.cjk, 2) IN (SELECT surname FROM surnames) AND length(f.cjk) >= 3 THEN 2
                              WHEN left(f.cjk, 1) IN (SELECT surname FROM surnames) THEN 1 END AS sur_len
                  FROM account_name_forms f WHERE f.cjk = f.chars AND length(f.cjk) BETWEEN 2 AND 4),
        given AS (SELECT name, unnest(string_split(substr(cjk, sur_len + 1), '')) AS ch
                  FROM split WHERE length(cjk) - sur_len BETWEEN 1 AND 2),
        personal AS (SELECT name FROM given GROUP BY name
                     HAVING bool_and(ch IN (SELECT ch FROM given_chars)))
        SELECT f.name,
               f.chars = '' OR (f.cjk = '' AND length(f.letters) <= 1) OR f.chars IN ({generic})
                   OR f.chars IN (SELECT chars FROM stems) AS generic,
               f.masked OR f.name IN (SELECT name FROM personal) AS namelike
        FROM account_name_forms f
    """, kind=kind)


def name_levels(engine: Engine | duckdb.DuckDBPyConnection, pairs: str, *, flags: str | None = None,
                name_pairs: str | None = None, account_forms: str | None = None) -> None:
    """Create ``pair_name_levels(customer_id, account_id, level, value)`` for the candidate pairs in relation
    ``pairs`` (``customer_id``, ``account_id``): the best NAME level over the pair's names and the account name
    that gave it. Pairs without an informative name on both sides have no row.

    ``flags``: a table of :func:`account_name_flags` counted over a larger set of pairs (an update's); by default
    they are counted over ``pairs``. ``name_pairs``: a table of :func:`name_pairs_sql` over the same pairs,
    when the caller has built it already (a full run builds it once, for its flags and its levels).
    ``account_forms``: a table of :func:`account_forms_sql` over (at least) the account names of ``pairs``,
    likewise, used with ``flags`` (without them, the forms of exactly these pairs' names are made here, as the
    flags are counted over them).

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE customers AS SELECT 'C1' AS customer_id, '吴志琪' AS name, "
    ...                 "CAST([] AS VARCHAR[]) AS names")
    >>> _ = con.execute("CREATE TABLE accounts AS SELECT * FROM (VALUES ('A1', 'wuzhiqi_860', ['小琪']), "
    ...                 "('A2', '用户619025', []), ('A3', '王芳', ['快乐小猪']), ('A4', '快乐小猪', ['小琪在路上']))"
    ...                 " t(account_id, name, names)")
    >>> _ = con.execute("CREATE TABLE pairs AS SELECT 'C1' AS customer_id, account_id FROM accounts")
    >>> name_levels(con, "pairs")
    >>> con.sql("SELECT account_id, level, value FROM pair_name_levels ORDER BY 1").fetchall()
    [('A1', 2, 'wuzhiqi_860'), ('A3', 9, '王芳'), ('A4', 6, '小琪在路上')]
    """
    engine = as_engine(engine)
    register_pinyin(engine)
    if name_pairs is None:
        engine.create_table("name_pairs", name_pairs_sql(pairs))
    names = name_pairs or "name_pairs"
    engine.create_table("customer_name_forms", f""
                f"{_customer_forms_sql(f'(SELECT DISTINCT cname AS name FROM {names})')}")
    own_forms = account_forms is None or flags is None
    if own_forms:
        engine.create_table("account_name_forms", account_forms_sql(f"(SELECT aname AS name FROM {names})"))
    forms = "account_name_forms" if own_forms else account_forms
    if flags is None:
        account_name_flags(engine, names, forms, target="account_name_kinds_flags")
    engine.create_table("account_name_kinds", f"""
        SELECT f.*, k.generic, k.namelike
        FROM {forms} f JOIN {flags or 'account_name_kinds_flags'} k USING (name)
    """)
    engine.create_table("pair_name_levels", f"""
        WITH leveled AS (
            SELECT name_pairs.customer_id, name_pairs.account_id, name_pairs.aname, a.generic, {_level_sql()} AS level
            FROM {names} name_pairs
            JOIN customer_name_forms c ON c.name = name_pairs.cname
            JOIN account_name_kinds a ON a.name = name_pairs.aname
            WHERE c.chars <> '')
        SELECT customer_id, account_id, min(level) AS level, min({{'level': level, 'name': aname}}).name AS value
        FROM leveled
        WHERE NOT (generic AND level >= {NAME.level_names().index('surname_only')})
        GROUP BY customer_id, account_id
    """)
    engine.drop(*(["name_pairs"] if name_pairs is None else []),
                *(["account_name_forms"] if own_forms else []), "customer_name_forms",
                "account_name_kinds", "account_name_kinds_flags")
