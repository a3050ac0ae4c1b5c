"""How the ID number, name and address are stored in the warehouse: in full, masked, or as an HMAC.

The default (``idcard=hmac name=masked address=masked``) keeps what analysts and compliance need and no more
(PIPL's minimisation): the HMAC of the ID number still joins one person's orders across days and systems
(anyone holding the key computes the same value) but cannot be read back or brute-forced without the key; a
masked name (``张**``) and address (``广东省深圳市****``) are enough to recognise a case on the phone. The full
values stay in the staging and evidence storage, whose access is controlled separately.

The HMAC key is the password of an Airflow connection (``tencent_kyc_pii`` by default), so it lives in the
secrets backend like every other credential; it is masked in logs as soon as it is read.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PII_FIELDS = ("idcard", "name", "address")
DEFAULT_KEY_CONN_ID = "tencent_kyc_pii"
#: Characters kept by masking: the ID number's region code and last 4; the name's surname; the address's
#: province and city (roughly the first 6 characters).
_ADDRESS_KEPT = 6
#: The common two-character (compound) surnames, kept whole when a name is masked (欧阳娜娜 → 欧阳**).
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐", "长孙", "宇文", "尉迟", "夏侯", "公孙",
        "司徒", "司空", "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "公冶", "太叔", "申屠",
        "闻人", "赫连", "万俟", "钟离", "宗政", "濮阳", "淳于", "单于", "鲜于", "闾丘", "公羊", "羊舌", "微生",
        "梁丘", "左丘", "东郭", "拓跋", "第五", "乐正", "公良", "漆雕", "巫马", "谷梁", "宰父", "夹谷", "段干",
        "东门", "子车", "亓官", "司寇", "公西", "颛孙", "壤驷", "仲孙", "叔孙", "季孙", "即墨", "青阳", "欧侯",
    }
)  # fmt: skip


class PiiPolicyError(ValueError):
    """The personal-data policy is unusable; raised before anything is read or sent."""


class Treatment(enum.Enum):
    FULL = "full"
    MASKED = "masked"
    HMAC = "hmac"


def mask(field: str, value: str) -> str:
    """The masked form of one value (deterministic, so re-runs store the same text)."""
    if field == "idcard":
        return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:] if len(value) > 10 else "*" * len(value)
    if field == "name":
        kept = 2 if value[:2] in COMPOUND_SURNAMES and len(value) > 2 else 1
        return value[:kept] + "*" * (len(value) - kept)
    return value[:_ADDRESS_KEPT] + "****"


@dataclass(frozen=True)
class PiiPolicy:
    idcard: Treatment = Treatment.HMAC
    name: Treatment = Treatment.MASKED
    address: Treatment = Treatment.MASKED
    key_conn_id: str = DEFAULT_KEY_CONN_ID

    @classmethod
    def from_param(cls, value: Mapping[str, Any] | None) -> PiiPolicy:
        """The DAG's ``pii`` param, e.g. ``{"idcard": "masked", "name": "full"}``; unset fields keep the default."""
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise PiiPolicyError(f"pii must be an object, got {type(value).__name__}")
        known = {*PII_FIELDS, "key_conn_id"}
        if unknown := sorted(set(value) - known):
            raise PiiPolicyError(f"pii has unknown key(s) {unknown}; known: {sorted(known)}")
        choices = [t.value for t in Treatment]
        treatments: dict[str, Any] = {}
        for field in PII_FIELDS:
            if field in value:
                if value[field] not in choices:
                    raise PiiPolicyError(f"pii.{field} must be one of {choices}, got {value[field]!r}")
                treatments[field] = Treatment(value[field])
        key_conn_id = value.get("key_conn_id", DEFAULT_KEY_CONN_ID)
        if not isinstance(key_conn_id, str) or not key_conn_id:
            raise PiiPolicyError("pii.key_conn_id must be a connection id")
        return cls(**treatments, key_conn_id=key_conn_id)

    @property
    def needs_key(self) -> bool:
        return Treatment.HMAC in (self.idcard, self.name, self.address)

    def describe(self) -> str:
        """Stored with every row, so a reader knows what the column holds."""
        return " ".join(f"{field}={getattr(self, field).value}" for field in PII_FIELDS)

    def load_key(self) -> bytes | None:
        """The HMAC key from the key connection's password (masked in logs); None if no field is hashed."""
        if not self.needs_key:
            return None
        from airflow.sdk import BaseHook
        from airflow.sdk.log import mask_secret

        try:
            password = BaseHook.get_connection(self.key_conn_id).password
        except Exception as exc:  # the SDK raises its own not-found error type
            raise PiiPolicyError(
                f"the personal-data policy hashes {self.describe()} but connection {self.key_conn_id!r} "
                f"(its password is the HMAC key) cannot be read: {exc}"
            ) from None
        if not password or len(password) < 16:
            raise PiiPolicyError(f"connection {self.key_conn_id!r} needs a password of at least 16 characters")
        mask_secret(password)
        return password.encode()

    def protector(self, key: bytes | None) -> Callable[[str, str | None], str | None]:
        """``protect(field, value)``: the stored form of ``value``; other fields pass through."""
        treatments = {field: getattr(self, field) for field in PII_FIELDS}
        if key is None and self.needs_key:
            raise PiiPolicyError("an HMAC treatment needs the key (PiiPolicy.load_key)")

        def protect(field: str, value: str | None) -> str | None:
            treatment = treatments.get(field, Treatment.FULL)
            if not value or treatment is Treatment.FULL:
                return value
            if treatment is Treatment.MASKED:
                return mask(field, value)
            normalised = value.upper() if field == "idcard" else value
            return hmac.new(key or b"", normalised.encode("utf-8"), hashlib.sha256).hexdigest()

        return protect
