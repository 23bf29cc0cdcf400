"""The data-class links a policy adds for every field reach exactly the groups Casbin's own
``add_link`` would give them (patterns such as ``Complaint.*`` included), only faster."""

from __future__ import annotations

from pathlib import Path

import casbin

from api.authz.policy import _link_concrete, class_group, configure_enforcer
from api.authz.validation import _Lines, read_rule_lines, unique
from schema.root import build_schema
from schema.vocabulary import vocabulary_of

POLICIES = Path(__file__).resolve().parent.parent / "policies"


def g2_links() -> casbin.Enforcer:
    lines = [line.values for line in unique(read_rule_lines(POLICIES / "policy.csv"))]
    enforcer = configure_enforcer(casbin.Enforcer(str(POLICIES / "model.conf"), _Lines(lines)))
    return enforcer.get_named_role_manager("g2")


def test_every_field_reaches_the_same_groups_as_through_casbins_add_link():
    vocabulary = vocabulary_of(build_schema())
    pairs = [(c, class_group(name)) for c, names in vocabulary.classes.items() for name in names]
    theirs, ours = g2_links(), g2_links()
    for member, group in pairs:
        theirs.add_link(member, group)
    _link_concrete(ours, pairs)
    groups = sorted({group for _, group in pairs} | {line.values[2] for line in read_rule_lines(
        POLICIES / "policy.csv") if line.ptype == "g2"})
    coordinates = sorted(vocabulary.coordinates)
    assert len(coordinates) > 500 and len(groups) > 20
    differ = [(c, g) for c in coordinates for g in groups if theirs.has_link(c, g) != ours.has_link(c, g)]
    assert differ == []
    assert ours.has_link("Complaint.matter", "group:complaint_details")
    assert ours.has_link("ComplaintConnection.edges", "group:complaints")  # through a pattern line
