import pytest

from hemstats.errors import UnknownFindingError
from hemstats.findings import DATASET_FINDINGS, FINDINGS, SUBTYPES, mapping_table, to_finding


def test_vocabulary():
    assert FINDINGS[:6] == ("any", "edh", "sdh", "sah", "iph", "ivh")
    assert {"chronic", "fracture", "calvarial_fracture", "mass_effect", "midline_shift"} <= set(FINDINGS)
    assert set(SUBTYPES) < set(FINDINGS)


def test_every_mapping_targets_the_vocabulary():
    for dataset, mapping in DATASET_FINDINGS.items():
        assert set(mapping.values()) <= set(FINDINGS), dataset


@pytest.mark.parametrize(
    ("dataset", "label", "finding"),
    [("bhsd", 1, "edh"), ("bhsd", 2, "iph"), ("bhsd", 3, "ivh"), ("bhsd", 4, "sah"), ("bhsd", 5, "sdh"),
     ("hemorica", "EPH", "edh"), ("hemorica", "ICH", "iph"), ("cq500", "ICH", "any"), ("mosmed_ich", "intracerebral", "iph")],
)
def test_documented_mappings(dataset, label, finding):
    assert to_finding(dataset, label) == finding


def test_unknown_labels_are_clear_errors():
    with pytest.raises(UnknownFindingError, match="dataset 'cq500' has no finding mapped to label 'Bleed'"):
        to_finding("cq500", "Bleed")
    with pytest.raises(UnknownFindingError, match="no finding mapping for dataset 'nope'"):
        to_finding("nope", "x")


def test_mapping_table_is_long_and_complete():
    table = mapping_table()
    assert len(table) == sum(len(m) for m in DATASET_FINDINGS.values())
    assert not table.isna().any().any()
