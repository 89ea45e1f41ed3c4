"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of every response shape.

They describe what :mod:`node.api.render` produces; a test checks every route's response
against its schema's required properties.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

HEX = {"type": "string", "pattern": "^[0-9a-f]*$"}
HEX32 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
U64 = {"type": "integer", "minimum": 0}
INT = {"type": "integer"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
NUMBER_OR_NULL = {"type": ["number", "null"]}
HEX_BYTES = {"type": "string", "pattern": "^([0-9a-f]{2})+$"}
PEER_ID = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[1-9A-HJ-NP-Za-km-z]+$"}


def obj(**properties: Schema) -> Schema:
    """An object schema whose properties are all required."""
    return {"type": "object", "properties": properties, "required": sorted(properties)}


def closed(schema: Schema) -> Schema:
    """``schema`` with no properties beyond those it names (request bodies: the server refuses
    unknown fields)."""
    return {**schema, "additionalProperties": False}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, Schema] = {
    "Error": obj(status=INT, error=STR, message=STR),
    "Status": obj(
        chain_id=STR, moniker=STR, peer_id=STR, address=HEX, is_validator=BOOL, height=U64,
        round=U64, step=STR, latest_block_hash=HEX, latest_block_time_ms=U64, peers=U64,
        mempool_txs=U64, finality_p50_ms=NUMBER_OR_NULL, finality_p99_ms=NUMBER_OR_NULL,
        models={"type": "object", "additionalProperties": U64},
    ),
    "BlockHeader": obj(
        chain_id=STR, height=U64, time_ms=U64, proposer=HEX32, parent_hash=HEX32,
        txs_hash=HEX32, last_commit_hash=HEX32, app_hash=HEX32, validators_hash=HEX32,
    ),
    "Commit": obj(height=U64, round=U64, block_hash=HEX32, signers=array(HEX32)),
    "Block": obj(
        height=U64, hash=HEX32, round=U64, header=ref("BlockHeader"), txs=array(HEX32),
        commit=ref("Commit"),
    ),
    "Transaction": obj(
        chain_id=STR, sender=HEX32, nonce=U64, fee=U64, kind=STR,
        body={"type": "object", "description": "The body's fields; bytes as hex"},
        signature=HEX,
    ),
    "LocatedTransaction": obj(
        hash=HEX32, height=U64, position=U64, sender=HEX32, kind=STR, tx=ref("Transaction")
    ),
    "Submitted": obj(hash=HEX32),
    "Account": obj(
        address=HEX32, height=U64, balance=U64, bonded=U64,
        unbonding=array(obj(amount=U64, release_height=U64)), nonce=U64, next_nonce=U64,
        votes=array(HEX32),
        earned={
            **obj(delta_rewards=U64, deltas_counted=U64, deltas_accepted=U64,
                  blocks_proposed=U64, block_rewards=U64),
            "type": ["object", "null"],
        },
    ),
    "Params": obj(
        chain_id=STR, height=U64,
        params={"type": "object", "description": "The chain parameters (ChainParams fields)"},
    ),
    "Blob": {"type": "string", "contentMediaType": "application/octet-stream"},
    "StoredBlob": obj(hash=HEX32, size=U64),
    "DeltaAudit": obj(
        tx_hash=HEX32, sender=HEX32, height=U64, signature_valid=BOOL, inclusion_verified=BOOL,
        commit_verified=BOOL, accepted=BOOL, reward=U64, expected_reward=U64, reason=STR,
        base_version=INT,
        evaluation={
            "anyOf": [ref("EvaluationSummary"), {"type": "null"}],
            "description": "The sender's signed validation result for the base version",
        },
    ),
    "EvaluationSummary": obj(
        reports=U64, samples=U64, accuracy={"type": "number"}, loss={"type": "number"}
    ),
    "Audit": obj(
        task_id=U64, version=U64, model_hash=HEX32, height=U64, block_hash=HEX,
        commit_verified=BOOL, snapshot_held=BOOL, snapshot_verified=BOOL,
        deltas=array(ref("DeltaAudit")), failures=array(STR), verified=BOOL,
        aggregation_replayed=BOOL, aggregation_verified=BOOL,
        evaluation={
            "anyOf": [ref("EvaluationSummary"), {"type": "null"}],
            "description": "The network's accuracy of this version (federated evaluation)",
        },
    ),
    "Validator": obj(
        address=HEX32, power=U64, proposer_priority=INT, moniker=STR, jailed=BOOL
    ),
    "Validators": obj(height=U64, total_power=U64, validators=array(ref("Validator"))),
    "Candidate": obj(
        address=HEX32, moniker=STR, registered_at=U64, backing=U64, is_validator=BOOL,
        jailed=BOOL, jailed_until=U64, tombstoned=BOOL,
    ),
    "Candidates": obj(height=U64, candidates=array(ref("Candidate"))),
    "Task": obj(
        task_id=U64, creator=HEX32,
        spec={"type": "object", "description": "The CreateTask fields the task was opened with"},
        version=U64, model_hash=HEX32, pool=U64, pending=U64,
        network_accuracy={
            **NUMBER_OR_NULL,
            "description": "Sample-weighted accuracy the nodes reported for the newest "
            "version with reports (federated evaluation)",
        },
        evaluations=array(ref("Evaluation")),
    ),
    "Evaluation": obj(
        version=U64, reports=U64, samples=U64, accuracy=NUMBER_OR_NULL, loss=NUMBER_OR_NULL
    ),
    "Tasks": obj(height=U64, tasks=array(ref("Task"))),
    "Model": obj(
        version=U64, model_hash=HEX32, height=U64,
        accuracy={**NUMBER_OR_NULL, "description": "This node's own measurement"},
        network_accuracy={
            **NUMBER_OR_NULL,
            "description": "Sample-weighted mean of the accuracies the deltas reported for "
            "this version (null when none, or older than the chain keeps)",
        },
        reports=U64,
    ),
    "Models": obj(task_id=U64, models=array(ref("Model"))),
    "Contribution": obj(
        tx_hash=HEX32, sender=HEX32, height=U64, accepted=BOOL, reward=U64, reason=STR
    ),
    "Contributions": obj(task_id=U64, version=U64, contributions=array(ref("Contribution"))),
    "Metrics": {"type": "string", "description": "Prometheus text exposition format 0.0.4"},
    "OpenApi": {"type": "object", "description": "An OpenAPI 3.1 document"},
    "BlockedPeers": closed(obj(
        peers={**array(PEER_ID), "description": "Blocked peer ids (base58)"},
        all={**BOOL, "description": "Every peer is blocked"},
    )),
    "SubmitJson": closed(obj(
        tx={**HEX_BYTES, "description": "Hex of the canonical CBOR transaction"}
    )),
}  # fmt: skip
