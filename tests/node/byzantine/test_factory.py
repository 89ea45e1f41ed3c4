"""Roles are built only from configuration; the default builds none."""

from __future__ import annotations

import pytest

from consensus.ledger.devnet import make_keys
from node.byzantine.double_signer import DoubleSigner
from node.byzantine.equivocator import EquivocatingProposer
from node.byzantine.errors import MissingKeyError, UnknownRoleError
from node.byzantine.factory import make_misbehaviour
from node.byzantine.roles import ROLES, Role
from node.byzantine.settings import ByzantineConfig
from node.byzantine.spammer import Spammer
from node.byzantine.withholder import Withholder
from node.errors import ConfigError

KEY = make_keys(1, namespace=705)[0]


def test_factory_default_config_builds_no_role() -> None:
    assert make_misbehaviour(ByzantineConfig(), KEY, "net") is None
    assert make_misbehaviour(ByzantineConfig(), None, "net") is None


@pytest.mark.parametrize(
    ("role", "cls"),
    [
        ("double_signer", DoubleSigner),
        ("equivocating_proposer", EquivocatingProposer),
        ("withholder", Withholder),
        ("spammer", Spammer),
    ],
)
def test_factory_builds_each_role(role: str, cls: type) -> None:
    built = make_misbehaviour(ByzantineConfig(role, 5.0), KEY, "net")
    assert (
        built is not None
        and isinstance(built, cls)
        and built.role is Role(role)
        and built.key == KEY
    )
    assert built.chain_id == "net" and role in ROLES


def test_factory_refuses_unknown_role_and_missing_key() -> None:
    with pytest.raises(UnknownRoleError, match="unknown byzantine role 'liar'"):
        make_misbehaviour(ByzantineConfig("liar"), KEY, "net")
    with pytest.raises(MissingKeyError, match="needs the node's key"):
        make_misbehaviour(ByzantineConfig("withholder"), None, "net")
    assert issubclass(UnknownRoleError, ConfigError)
