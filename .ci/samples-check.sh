#!/usr/bin/env bash
# Validates the packaging files without a container engine:
#   - docker-compose.yml parses and matches the Compose schema (docker-compose config -q),
#   - every YAML file under deploy/ and the compose file pass yamllint (.yamllint),
#   - the Kubernetes manifests keep the sidecar contract (native sidecar, probes, resources, ConfigMap),
#   - the Ambassador config files shipped for compose/Kubernetes are valid JSON.
# Installs docker-compose and yamllint from Debian when missing. Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v yamllint >/dev/null 2>&1 || missing+=(yamllint)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "samples-check: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "samples-check: docker-compose config"
docker-compose -f docker-compose.yml config -q

echo "samples-check: yamllint"
yamllint -s -c .yamllint docker-compose.yml deploy/

echo "samples-check: Kubernetes sidecar contract"
# yamllint brings PyYAML along; use the same interpreter it runs on.
python_bin=$(head -1 "$(command -v yamllint)" | sed -n 's/^#!\s*//p' | awk '{print $1}')
[ -x "${python_bin:-}" ] || python_bin=python3
"$python_bin" - <<'PY'
import json, sys, yaml

errors = []
def check(condition, message):
    if not condition:
        errors.append(message)

docs = []
for path in ["deploy/kubernetes/order-service.yaml", "deploy/kubernetes/inventory.yaml", "deploy/kubernetes/ambassador-config.yaml"]:
    with open(path) as f:
        docs += [(path, d) for d in yaml.safe_load_all(f) if d]

kinds = {(d["kind"], d["metadata"]["name"]): d for _, d in docs}
deployment = kinds.get(("Deployment", "order-service"))
check(deployment is not None, "order-service Deployment missing")
check(("Service", "order-service") in kinds, "order-service Service missing")
config = kinds.get(("ConfigMap", "order-service-ambassador"))
check(config is not None, "ConfigMap order-service-ambassador missing")
if config:
    try:
        json.loads(config["data"]["ambassador.json"])
    except Exception as e:  # noqa: BLE001
        errors.append(f"ConfigMap ambassador.json is not valid JSON: {e}")

if deployment:
    spec = deployment["spec"]["template"]["spec"]
    sidecars = [c for c in spec.get("initContainers", []) if c["name"] == "ambassador"]
    check(len(sidecars) == 1, "ambassador must be an initContainer (native sidecar)")
    for c in sidecars:
        check(c.get("restartPolicy") == "Always", "ambassador initContainer needs restartPolicy: Always")
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        check(ports.get("admin") == 9901, "ambassador must expose admin port 9901")
        for probe, path in [("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")]:
            get = c.get(probe, {}).get("httpGet", {})
            check(get.get("path") == path and get.get("port") in ("admin", 9901), f"ambassador {probe} must GET {path} on the admin port")
        res = c.get("resources", {})
        check(res.get("requests") == {"memory": "96Mi", "cpu": "100m"}, "ambassador requests must be 96Mi/100m")
        check(res.get("limits") == {"memory": "160Mi", "cpu": "200m"}, "ambassador limits must be 160Mi/200m")
        mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        config_volumes = [n for n, v in volumes.items() if v.get("configMap", {}).get("name") == "order-service-ambassador"]
        check(any(n in mounts for n in config_volumes), "ambassador must mount the ConfigMap")
    apps = [c for c in spec.get("containers", []) if c["name"] == "order-service"]
    check(len(apps) == 1, "order-service container missing")
    for c in apps:
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        check(env.get("Ambassador__BaseAddress") == "http://localhost:3000", "order-service must call the sidecar on localhost:3000")

with open("deploy/compose/ambassador.json") as f:
    json.load(f)

if errors:
    for e in errors:
        print(f"samples-check: {e}", file=sys.stderr)
    sys.exit(1)
PY
echo "samples-check: ok"
