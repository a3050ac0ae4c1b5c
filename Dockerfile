# The image of docker-compose.yaml: Airflow 3.3.2 plus this provider (tencent_kyc) and its dependencies,
# installed from requirements.txt against constraints.txt at build time (never with _PIP_ADDITIONAL_REQUIREMENTS),
# and the development tools (tencent_kyc_dev): the compose stack runs the simulator and the order seed from them.
# The -python3.11 variant: constraints.txt was resolved on Python 3.11.
#
#   docker compose build                                   (both stages, as docker-compose.yaml names them)
#   docker build --target airflow -t tencent-kyc-airflow:3.3.2 .

# docker-compose.yaml's S3 stand-in (service s3): moto's server, at the version constraints.txt pins.
# For development only: the Airflow image below does not contain it.
FROM apache/airflow:3.3.2-python3.11 AS s3-emulator
COPY --chown=airflow:0 constraints.txt /tmp/constraints.txt
RUN pip install --no-cache-dir "moto[server]" -c /tmp/constraints.txt

# The Airflow image (the default target).
FROM apache/airflow:3.3.2-python3.11 AS airflow
# requirements.txt installs this package with "-e .": pip resolves "." against the working directory, so the
# project's metadata (pyproject.toml, its README.md) and sources (plugins/) go to AIRFLOW_HOME, where
# plugins/ is also Airflow's plugins folder. The tools distribution (plugins/tencent_kyc_dev, its own
# pyproject.toml) is installed the same way, in the same resolution. docker-compose.yaml mounts ./dags and
# ./plugins over the copies, and the editable installs then run the mounted code.
WORKDIR /opt/airflow
COPY --chown=airflow:0 requirements.txt constraints.txt pyproject.toml README.md ./
COPY --chown=airflow:0 plugins/ plugins/
RUN pip install --no-cache-dir -r requirements.txt -e plugins/tencent_kyc_dev -c constraints.txt
COPY --chown=airflow:0 dags/ dags/
