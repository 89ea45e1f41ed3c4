"""Neighbour lists: their encoding, every way a peer's bytes can be wrong, and the book."""

import cbor2
import pytest

from node.network.neighbours import (
    MAX_NEIGHBOURS,
    MAX_PEER_ID_BYTES,
    NeighbourBook,
    NeighbourList,
    NeighboursError,
    decode_neighbours,
    encode_neighbours,
    get_neighbours_topic,
)

A, B, C = b"\x00\x24peer-a", b"\x00\x24peer-b", b"\x00\x24peer-c"


def test_a_list_round_trips_and_its_bytes_do_not_depend_on_order() -> None:
    listing = NeighbourList(7, frozenset({A, B, C}))
    assert decode_neighbours(encode_neighbours(listing)) == listing
    assert encode_neighbours(listing) == cbor2.dumps([7, sorted([A, B, C])], canonical=True)
    assert decode_neighbours(encode_neighbours(NeighbourList(0, frozenset()))).peers == frozenset()
    assert get_neighbours_topic("chain-1") == "/deltachain/chain-1/neighbours/1"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe", "not CBOR"),
        (cbor2.dumps({"seq": 1}), "must be"),
        (cbor2.dumps([1]), "must be"),
        (cbor2.dumps([1, [A], 3]), "must be"),
        (cbor2.dumps([True, [A]]), "must be"),
        (cbor2.dumps(["1", [A]]), "must be"),
        (cbor2.dumps([1, A]), "must be"),
        (cbor2.dumps([-1, [A]]), "out of range"),
        (cbor2.dumps([2**64, [A]]), "out of range"),
        (cbor2.dumps([1, ["text"]]), "not bytes"),
        (cbor2.dumps([1, [A, A]]), "twice"),
        (cbor2.dumps([1, [b""]]), "0 bytes"),
        (cbor2.dumps([1, [b"x" * (MAX_PEER_ID_BYTES + 1)]]), "65 bytes"),
        (cbor2.dumps([1, [b"%04d" % i for i in range(MAX_NEIGHBOURS + 1)]]), "names 1025"),
        (b"\x00" * 100_000, "bytes >"),
    ],
)
def test_a_bad_list_is_refused_with_its_reason(data: bytes, message: str) -> None:
    with pytest.raises(NeighboursError, match=message):
        decode_neighbours(data)


def test_encoding_refuses_what_decoding_would() -> None:
    with pytest.raises(NeighboursError, match="out of range"):
        encode_neighbours(NeighbourList(-5, frozenset({A})))


def test_the_book_keeps_each_peers_latest_list_whatever_the_arrival_order() -> None:
    book = NeighbourBook()
    assert not book.reaches_directly(B, A)
    assert book.update(B, NeighbourList(5, frozenset({A})))
    assert book.reaches_directly(B, A)
    assert not book.reaches_directly(B, C)
    assert not book.reaches_directly(C, A)  # C's list is not B's
    assert not book.update(B, NeighbourList(4, frozenset({C})))  # older: arrived late
    assert not book.update(B, NeighbourList(5, frozenset({C})))  # same seq: the first stays
    assert book.reaches_directly(B, A)
    assert book.update(B, NeighbourList(6, frozenset({C})))  # B lost A, gained C
    assert not book.reaches_directly(B, A)
    assert book.reaches_directly(B, C)
    book.forget(B)
    assert book.get(B) is None
    assert len(book) == 0


def test_the_book_forgets_the_least_recently_announced_lists_beyond_its_limit() -> None:
    book = NeighbourBook(max_lists=2)
    book.update(A, NeighbourList(1, frozenset({B})))
    book.update(B, NeighbourList(1, frozenset({A})))
    book.update(A, NeighbourList(2, frozenset({C})))  # A announced again: B is now the oldest
    book.update(C, NeighbourList(1, frozenset({A})))
    assert len(book) == 2
    assert book.get(B) is None
    assert book.reaches_directly(A, C)
    assert book.reaches_directly(C, A)
