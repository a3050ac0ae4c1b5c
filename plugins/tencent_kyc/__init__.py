"""Airflow provider for the daily Tencent Cloud KYC (人脸核身) ID-card OCR sync."""

from __future__ import annotations

__version__ = "0.1.0"
