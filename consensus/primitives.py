"""Typed aliases for the domain's scalar values.

Aliases (not NewTypes) so that arithmetic stays natural; the names document intent at every
signature. Sizes that the wire format enforces live here too.
"""

from __future__ import annotations

from typing import Annotated, Final, TypeAlias

from consensus.encoding import FixedSize, IntRange, MaxLen

Address: TypeAlias = bytes
"""An account: the 32-byte Ed25519 public key that signs for it."""
Hash32: TypeAlias = bytes
"""A SHA-256 digest."""
Signature: TypeAlias = bytes
"""A 64-byte Ed25519 signature."""
Height: TypeAlias = int
Round: TypeAlias = int
Amount: TypeAlias = int
"""A quantity of the native token in base units."""
Stake: TypeAlias = int
"""Bonded or backing stake, in base units; also a validator's voting power."""
Nonce: TypeAlias = int
TimestampMs: TypeAlias = int
"""Milliseconds; the core never reads a clock, callers pass time in."""
DurationMs: TypeAlias = int
ChainId: TypeAlias = str
TaskId: TypeAlias = int
ModelVersion: TypeAlias = int

ADDRESS_SIZE: Final = 32
HASH_SIZE: Final = 32
SIGNATURE_SIZE: Final = 64
SEED_SIZE: Final = 32
ZERO_HASH: Final[Hash32] = bytes(HASH_SIZE)

# Field types with their wire constraints, for the dataclasses that cross the wire.
U64 = Annotated[int, IntRange(0, 2**64 - 1)]
I64 = Annotated[int, IntRange(-(2**63), 2**63 - 1)]
AddressField = Annotated[bytes, FixedSize(ADDRESS_SIZE)]
HashField = Annotated[bytes, FixedSize(HASH_SIZE)]
SignatureField = Annotated[bytes, FixedSize(SIGNATURE_SIZE)]
ChainIdField = Annotated[str, MaxLen(64)]
NameField = Annotated[str, MaxLen(64)]
