"""``verify_commit``: does a commit carry precommits of more than 2/3 of a set's power?"""

from __future__ import annotations

from consensus.block import Commit
from consensus.crypto import Verifier, verify_signature
from consensus.errors import InvalidCommitError
from consensus.primitives import ChainId
from consensus.validators import ValidatorSet


def verify_commit(
    valset: ValidatorSet,
    chain_id: ChainId,
    commit: Commit,
    verify: Verifier = verify_signature,
) -> None:
    """Raise InvalidCommitError unless the commit proves ``commit.block_hash`` final.

    Every signature must come from a distinct member of ``valset`` and verify as its precommit
    for (height, round, block hash); together they must hold more than 2/3 of the power. A
    commit with any bad entry is rejected whole, since its contents feed downtime tracking.
    """
    seen: set[bytes] = set()
    power = 0
    for sig in commit.signatures:
        if sig.validator in seen:
            raise InvalidCommitError(f"validator {sig.validator.hex()[:16]} signed twice")
        seen.add(sig.validator)
        weight = valset.get_power(sig.validator)
        if weight == 0:
            raise InvalidCommitError(f"{sig.validator.hex()[:16]} is not in the validator set")
        vote = commit.vote_of(sig)
        if not verify(sig.validator, vote.sign_bytes(chain_id), sig.signature):
            raise InvalidCommitError(f"bad precommit signature by {sig.validator.hex()[:16]}")
        power += weight
    if not valset.is_quorum(power):
        raise InvalidCommitError(
            f"commit power {power} is not more than 2/3 of {valset.total_power}"
        )
