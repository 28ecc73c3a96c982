"""The element kinds of an AI system, their data-flow-diagram type and their layer.

Each kind is one entry of :data:`KINDS`. The DFD type fixes the STRIDE-per-element letters
(Microsoft's convention): an external entity can be spoofed and can repudiate; a process is
exposed to all six categories; a data store to tampering, information disclosure and denial
of service (plus repudiation when it holds logs); a data flow to tampering, information
disclosure and denial of service.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal


class DfdType(str, Enum):
    """Data-flow-diagram type of an element."""

    EXTERNAL_ENTITY = "external_entity"
    PROCESS = "process"
    DATA_STORE = "data_store"


class Layer(str, Enum):
    """Where in an AI system an element sits."""

    DATA = "data"
    MODEL = "model"
    DEPLOYMENT = "deployment"
    GENERIC = "generic"


Stride = Literal["S", "T", "R", "I", "D", "E"]

STRIDE_NAMES: dict[str, str] = {
    "S": "Spoofing",
    "T": "Tampering",
    "R": "Repudiation",
    "I": "Information disclosure",
    "D": "Denial of service",
    "E": "Elevation of privilege",
}

STRIDE_PER_DFD: dict[DfdType, tuple[Stride, ...]] = {
    DfdType.EXTERNAL_ENTITY: ("S", "R"),
    DfdType.PROCESS: ("S", "T", "R", "I", "D", "E"),
    DfdType.DATA_STORE: ("T", "I", "D"),
}
"""STRIDE letters per DFD type; a data store that holds logs also gets R."""

STRIDE_PER_FLOW: tuple[Stride, ...] = ("T", "I", "D")


@dataclass(frozen=True)
class KindInfo:
    """What the workbench knows about one element kind."""

    name: str
    label: str
    dfd: DfdType
    layer: Layer
    description: str
    external: bool = False
    """Operated outside the system owner's control (a third party or an outside actor)."""


_E, _P, _S = DfdType.EXTERNAL_ENTITY, DfdType.PROCESS, DfdType.DATA_STORE
_D, _M, _Y, _G = Layer.DATA, Layer.MODEL, Layer.DEPLOYMENT, Layer.GENERIC

KINDS: dict[str, KindInfo] = {
    k.name: k
    for k in (
        # data layer
        KindInfo(
            "data_source",
            "Data source",
            _E,
            _D,
            "Where raw data comes from: a web crawl, a partner feed, user uploads.",
            True,
        ),
        KindInfo(
            "dataset",
            "Dataset",
            _S,
            _D,
            "A stored, versioned collection used for training, tuning or evaluation.",
        ),
        KindInfo(
            "data_pipeline",
            "Data pipeline",
            _P,
            _D,
            "Ingestion, cleaning, transformation or chunking of data.",
        ),
        KindInfo("labeling", "Labeling", _P, _D, "Human or automated annotation of data."),
        KindInfo(
            "feature_store",
            "Feature store",
            _S,
            _D,
            "Stores features for training and online inference.",
        ),
        KindInfo(
            "vector_store",
            "Vector store",
            _S,
            _D,
            "Stores embeddings for similarity search (retrieval-augmented generation).",
        ),
        KindInfo(
            "document_store",
            "Document store",
            _S,
            _D,
            "Stores documents that are indexed or retrieved for a model's context.",
        ),
        # model layer
        KindInfo("training_job", "Training job", _P, _M, "Trains a model from data."),
        KindInfo(
            "fine_tuning_job",
            "Fine-tuning job",
            _P,
            _M,
            "Adapts a pre-trained model with further data (including LoRA, RLHF).",
        ),
        KindInfo(
            "evaluation_job",
            "Evaluation job",
            _P,
            _M,
            "Measures a model's quality, robustness, safety or fairness.",
        ),
        KindInfo(
            "model_artifact",
            "Model artifact",
            _S,
            _M,
            "Serialized weights and configuration of a model.",
        ),
        KindInfo(
            "model_registry",
            "Model registry",
            _S,
            _M,
            "Versioned store of model artifacts and their metadata.",
        ),
        KindInfo(
            "model_hub",
            "Model hub",
            _E,
            _M,
            "A public or third-party source of pre-trained models and datasets.",
            True,
        ),
        KindInfo(
            "foundation_model_api",
            "Foundation model API",
            _P,
            _M,
            "A hosted model operated by a third party and called over an API.",
            True,
        ),
        # deployment layer
        KindInfo(
            "inference_endpoint",
            "Inference endpoint",
            _P,
            _Y,
            "Serves a model's predictions over an API.",
        ),
        KindInfo(
            "llm_app",
            "LLM application",
            _P,
            _Y,
            "Application logic around a language model: prompts, retrieval, post-processing.",
        ),
        KindInfo(
            "agent",
            "Agent",
            _P,
            _Y,
            "A model-driven loop that plans and calls tools with some autonomy.",
        ),
        KindInfo(
            "tool",
            "Tool",
            _P,
            _Y,
            "A capability an agent or LLM app can invoke: plugin, function, MCP server.",
        ),
        KindInfo(
            "guardrail", "Guardrail", _P, _Y, "Checks or filters a model's inputs or outputs."
        ),
        KindInfo("client_app", "Client application", _P, _Y, "A web, mobile or desktop front end."),
        KindInfo("user", "User", _E, _Y, "A person who uses the system.", True),
        KindInfo(
            "operator",
            "Operator",
            _E,
            _Y,
            "A person who administers, trains or deploys the system.",
            False,
        ),
        KindInfo(
            "external_service",
            "External service",
            _E,
            _Y,
            "A third-party system the AI system exchanges data with.",
            True,
        ),
        KindInfo(
            "log_store",
            "Log store",
            _S,
            _Y,
            "Stores logs, traces, prompts and responses for audit and monitoring.",
        ),
        KindInfo("secrets_store", "Secrets store", _S, _Y, "Stores credentials, keys and tokens."),
        # generic DFD kinds, for the non-AI parts of a system
        KindInfo("process", "Process", _P, _G, "Any other running code."),
        KindInfo("data_store", "Data store", _S, _G, "Any other stored data."),
        KindInfo(
            "external_entity",
            "External entity",
            _E,
            _G,
            "Any other actor or system outside the model's control.",
            True,
        ),
    )
}

ElementKind = Literal[
    "data_source",
    "dataset",
    "data_pipeline",
    "labeling",
    "feature_store",
    "vector_store",
    "document_store",
    "training_job",
    "fine_tuning_job",
    "evaluation_job",
    "model_artifact",
    "model_registry",
    "model_hub",
    "foundation_model_api",
    "inference_endpoint",
    "llm_app",
    "agent",
    "tool",
    "guardrail",
    "client_app",
    "user",
    "operator",
    "external_service",
    "log_store",
    "secrets_store",
    "process",
    "data_store",
    "external_entity",
]
"""Every element kind, as a type; kept equal to :data:`KINDS` by a test."""


def kind_info(kind: str) -> KindInfo:
    """Return the :class:`KindInfo` of ``kind`` (raises ``KeyError`` for an unknown kind)."""
    return KINDS[kind]


def stride_for(kind: str, *, holds_logs: bool = False) -> tuple[Stride, ...]:
    """STRIDE-per-element letters of an element of ``kind``."""
    info = KINDS[kind]
    letters = STRIDE_PER_DFD[info.dfd]
    if info.dfd is DfdType.DATA_STORE and (holds_logs or kind == "log_store"):
        return ("T", "R", "I", "D")
    return letters
