"""The consensus package's exceptions: one base class, one subclass per kind of fault."""

from __future__ import annotations


class ConsensusError(Exception):
    """Base class of every error raised by the consensus package."""


class DecodeError(ConsensusError):
    """Bytes from outside are malformed, non-canonical, of the wrong shape or too large."""


class InvalidSignatureError(ConsensusError):
    """A signature does not verify for the claimed signer and message."""


class InvalidTransactionError(ConsensusError):
    """A transaction is not applicable to the state (nonce, funds, fee, rules of its kind)."""


class InvalidBlockError(ConsensusError):
    """A block or its header does not follow from the chain state."""


class InvalidCommitError(ConsensusError):
    """A commit does not carry valid precommits of more than 2/3 of the voting power."""


class InvalidVoteError(ConsensusError):
    """A vote or proposal is malformed, unsigned by its claimed author or out of place."""


class InvalidEvidenceError(ConsensusError):
    """Evidence of misbehaviour does not prove what it claims."""


class InvalidParamsError(ConsensusError):
    """Chain parameters or genesis contents are out of range or inconsistent."""
