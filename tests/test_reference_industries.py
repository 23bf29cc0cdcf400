"""GB/T 4754-2017 code list."""

from collections import Counter

from api.reference.industries import (
    Industry,
    IndustryCategory,
    all_industries,
    get_industry,
    is_assignable,
)


def test_all_twenty_sections_are_present() -> None:
    sections = [i.code for i in all_industries() if i.level == "section"]
    assert sections == list("ABCDEFGHIJKLMNOPQRST")


def test_all_ninety_seven_divisions_are_present_and_numbered_01_to_97() -> None:
    divisions = [i for i in all_industries() if i.level == "division"]
    assert len(divisions) == 97
    assert [int(d.division or "0") for d in divisions] == list(range(1, 98))
    assert all(d.code == d.section + d.division for d in divisions if d.division)


def test_the_whole_list_down_to_classes_is_there_and_every_code_has_its_parent() -> None:
    levels = Counter(i.level for i in all_industries())
    assert levels == {"section": 20, "division": 97, "group": 473, "class": 1381}
    codes = {i.code for i in all_industries()}
    assert all(i.parent in codes for i in all_industries() if i.parent is not None)
    # In code order: a code comes after its parent.
    seen: set[str] = set()
    for industry in all_industries():
        assert industry.parent is None or industry.parent in seen, industry.code
        seen.add(industry.code)


def test_a_class_is_found_with_its_group_and_names() -> None:
    development = get_industry("K7010")
    assert development is not None
    assert (development.level, development.parent, development.name_zh) == ("class", "K701", "房地产开发经营")
    boilers = get_industry("C3411")
    assert boilers is not None and (boilers.parent, boilers.name_zh) == ("C341", "锅炉及辅助设备制造")


def test_codes_are_unique() -> None:
    codes = [i.code for i in all_industries()]
    assert len(codes) == len(set(codes))


def test_every_entry_has_english_and_chinese_names() -> None:
    assert all(i.name.strip() and i.name_zh.strip() for i in all_industries())


def test_list_is_loaded_once() -> None:
    assert all_industries() is all_industries()


def test_lookup_returns_division_with_its_parts() -> None:
    assert get_industry("C13") == Industry(
        code="C13",
        section="C",
        division="13",
        name="Processing of food from agricultural products",
        name_zh="农副食品加工业",
        category=IndustryCategory.MANUFACTURING,
    )


def test_lookup_of_known_names() -> None:
    codes = ["C43", "F51", "F52", "H61", "H62", "K70", "L71", "L72", "T97"]
    names = {code: industry.name_zh for code in codes if (industry := get_industry(code)) is not None}
    assert names == {
        "C43": "金属制品、机械和设备修理业",
        "F51": "批发业",
        "F52": "零售业",
        "H61": "住宿业",
        "H62": "餐饮业",
        "K70": "房地产业",
        "L71": "租赁业",
        "L72": "商务服务业",
        "T97": "国际组织",
    }


def test_lookup_of_group_and_section() -> None:
    group = get_industry("K701")
    assert group is not None
    assert (group.level, group.section, group.division, group.name_zh) == ("group", "K", "70", "房地产开发经营")
    section = get_industry("K")
    assert section is not None
    assert (section.level, section.division) == ("section", None)


def test_lookup_is_exact_and_case_sensitive() -> None:
    assert get_industry("c13") is None
    assert get_industry("C99") is None
    assert get_industry("13") is None
    assert get_industry("") is None
    assert get_industry("G5418") is None  # no such class
    assert get_industry("K70100") is None


def test_categories_follow_sections() -> None:
    expected = {
        "C": IndustryCategory.MANUFACTURING,
        "F": IndustryCategory.WHOLESALE_RETAIL,
        "K": IndustryCategory.REAL_ESTATE,
        **{s: IndustryCategory.SERVICES for s in "GHILMNOPQR"},
        **{s: IndustryCategory.OTHER for s in "ABDEJST"},
    }
    for industry in all_industries():
        assert industry.category is expected[industry.section], industry.code


def test_only_division_or_deeper_is_assignable() -> None:
    assert is_assignable("C13")
    assert is_assignable("K701")
    assert is_assignable("K7010")
    assert not is_assignable("C")
    assert not is_assignable("K")
    assert not is_assignable("C99")
    assert not is_assignable("c13")
