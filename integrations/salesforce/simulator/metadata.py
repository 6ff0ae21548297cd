"""Field and object metadata types and their describe payloads.

Names are looked up case-insensitively, as Salesforce does in SOQL and REST paths, but
every reply uses the canonical spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "currency": "xsd:double",
    "double": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
}
STRING_TYPES = frozenset(
    {"string", "textarea", "email", "phone", "url", "picklist", "id", "reference"}
)
NUMBER_TYPES = frozenset({"currency", "double", "percent", "int"})


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    label: str
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    reference_to: str | None = None
    relationship_name: str | None = None
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    length: int = 0
    precision: int = 0
    scale: int = 0
    calculated: bool = False
    default: Any = None

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    @property
    def required(self) -> bool:
        """Must be supplied on create (Salesforce's 'nillable false, no default')."""
        return not self.nillable and self.createable and self.default is None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "soapType": SOAP_TYPES.get(self.type, "xsd:string"),
            "length": self.length,
            "precision": self.precision,
            "scale": self.scale,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "calculated": self.calculated,
            "custom": self.custom,
            "externalId": False,
            "unique": False,
            "idLookup": self.type == "id",
            "defaultedOnCreate": self.default is not None or not self.createable,
            "filterable": True,
            "sortable": self.type != "textarea",
            "referenceTo": [self.reference_to] if self.reference_to else [],
            "relationshipName": self.relationship_name,
            "restrictedPicklist": self.restricted,
            "picklistValues": [
                {"active": True, "defaultValue": False, "label": value, "value": value}
                for value in self.picklist
            ],
        }


@dataclass(frozen=True)
class ChildRelationship:
    name: str
    child: str
    field: str
    cascade_delete: bool


@dataclass
class ObjectDef:
    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: dict[str, FieldDef]
    children: dict[str, ChildRelationship] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_lower = {name.lower(): f for name, f in self.fields.items()}
        self._rel_by_lower = {
            f.relationship_name.lower(): f for f in self.fields.values() if f.relationship_name
        }
        # Precomputed for the store's hot path (seeding 50,000 opportunities).
        self.required_fields = [f.name for f in self.fields.values() if f.required]
        self.defaulted_fields = [
            f for f in self.fields.values() if f.default is not None and f.createable
        ]
        self.indexed_lookups = [
            f.name
            for f in self.fields.values()
            if f.reference_to and f.name not in ("CreatedById", "LastModifiedById")
        ]

    def field(self, name: str) -> FieldDef | None:
        return self._by_lower.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The lookup field behind a parent relationship name (Account -> AccountId)."""
        return self._rel_by_lower.get(name.lower())

    def child(self, name: str) -> ChildRelationship | None:
        for rel_name, rel in self.children.items():
            if rel_name.lower() == name.lower():
                return rel
        return None

    def urls(self, version: str) -> dict[str, str]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "sobject": base,
            "describe": f"{base}/describe",
            "rowTemplate": f"{base}/{{ID}}",
        }

    def describe_summary(self, version: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix,
            "custom": False,
            "createable": self.name not in ("User", "Organization"),
            "updateable": True,
            "deletable": self.name not in ("User", "Organization"),
            "queryable": True,
            "retrieveable": True,
            "replicateable": True,
            "searchable": True,
            "urls": self.urls(version),
        }

    def describe(self, version: str) -> dict[str, Any]:
        return {
            **self.describe_summary(version),
            "fields": [f.describe() for f in self.fields.values()],
            "childRelationships": [
                {
                    "childSObject": rel.child,
                    "field": rel.field,
                    "relationshipName": rel.name,
                    "cascadeDelete": rel.cascade_delete,
                }
                for rel in self.children.values()
            ],
        }


def label_for(name: str) -> str:
    base = name.removesuffix("__c").removesuffix("Id") if name != "Id" else name
    words: list[str] = []
    for part in base.split("_"):
        word = ""
        for char in part:
            if char.isupper() and word and not word[-1].isupper():
                words.append(word)
                word = ""
            word += char
        if word:
            words.append(word)
    return " ".join(words) or name
