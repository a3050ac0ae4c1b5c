"""The KYC dashboard in the Airflow UI: a plugin with its own FastAPI app, a nav page and a run tab."""

#: Where the api-server mounts the dashboard's app.
URL_PREFIX = "/tencent-kyc"
