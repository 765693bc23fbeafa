#!/usr/bin/env bash
# Validates the packaging files without a container engine:
#   - docker-compose.yml parses and matches the Compose schema (docker-compose config -q),
#   - every YAML file under deploy/ and the compose file pass yamllint (.yamllint),
#   - the Kubernetes manifests keep the sidecar contract (native sidecar, probes, resources, ConfigMap),
#   - each inventory instance (compose and Kubernetes) has its own ambassador registering it in Consul, with the
#     app's address, port and health path agreeing with the app's own settings, and the order side discovers it there,
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

def check_inventory_sidecar_config(where, config, app_port):
    amb = config.get("Ambassador", {})
    app = amb.get("App", {})
    check(app.get("Address") == f"http://127.0.0.1:{app_port}", f"{where}: Ambassador:App:Address must be the app beside it, http://127.0.0.1:{app_port}")
    check(app.get("HealthPath") == "/health", f"{where}: Ambassador:App:HealthPath must be the inventory's /health")
    check(amb.get("Registration", {}).get("Consul", {}).get("ServiceName") == "inventory",
          f"{where}: Ambassador:Registration:Consul:ServiceName must be inventory (the name the order side discovers)")

def check_order_side_uses_consul(where, config):
    cluster = config.get("ReverseProxy", {}).get("Clusters", {}).get("inventory", {})
    addresses = [d.get("Address") for d in cluster.get("Destinations", {}).values()]
    check(addresses == ["http://inventory"], f"{where}: the inventory cluster must name the Consul service (http://inventory)")

if config:
    check_order_side_uses_consul("ConfigMap order-service-ambassador", json.loads(config["data"]["ambassador.json"]))
if deployment:
    env = {e["name"]: e for c in deployment["spec"]["template"]["spec"].get("initContainers", []) if c["name"] == "ambassador" for e in c.get("env", [])}
    check("Ambassador__Discovery__Consul__Address" in env, "order-service ambassador needs Ambassador__Discovery__Consul__Address")

inventory = kinds.get(("Deployment", "inventory"))
inventory_config = kinds.get(("ConfigMap", "inventory-ambassador"))
check(inventory is not None, "inventory Deployment missing")
check(inventory_config is not None, "ConfigMap inventory-ambassador missing")
if inventory and inventory_config:
    spec = inventory["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in spec.get("containers", [])}
    app = containers.get("inventory")
    sidecar = containers.get("ambassador")
    check(app is not None and sidecar is not None, "inventory pod needs containers inventory and ambassador")
    if app and sidecar:
        app_ports = {p["name"]: p["containerPort"] for p in app.get("ports", [])}
        check(app.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/health", "inventory readinessProbe must GET /health")
        check_inventory_sidecar_config("ConfigMap inventory-ambassador", json.loads(inventory_config["data"]["ambassador.json"]), app_ports.get("http"))
        env = {e["name"]: e for e in sidecar.get("env", [])}
        check("Ambassador__Discovery__Consul__Address" in env, "inventory ambassador needs Ambassador__Discovery__Consul__Address")
        check(env.get("Ambassador__Registration__Consul__Address", {}).get("value") == "$(POD_IP)",
              "inventory ambassador must advertise the pod IP (Ambassador__Registration__Consul__Address=$(POD_IP))")
        ports = {p["name"]: p["containerPort"] for p in sidecar.get("ports", [])}
        check(ports.get("admin") == 9901, "inventory ambassador must expose admin port 9901")
        for probe, path in [("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")]:
            get = sidecar.get(probe, {}).get("httpGet", {})
            check(get.get("path") == path and get.get("port") in ("admin", 9901), f"inventory ambassador {probe} must GET {path} on the admin port")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        mounted = [m["name"] for m in sidecar.get("volumeMounts", [])]
        check(any(volumes.get(n, {}).get("configMap", {}).get("name") == "inventory-ambassador" for n in mounted),
              "inventory ambassador must mount the ConfigMap inventory-ambassador")

with open("deploy/compose/ambassador.json") as f:
    check_order_side_uses_consul("deploy/compose/ambassador.json", json.load(f))
with open("deploy/compose/inventory-ambassador.json") as f:
    # The inventory image listens on 8080 (ASPNETCORE_URLS in samples/InventoryService/Dockerfile).
    check_inventory_sidecar_config("deploy/compose/inventory-ambassador.json", json.load(f), 8080)
with open("docker-compose.yml") as f:
    services = yaml.safe_load(f)["services"]
instances = [n for n in services if n.startswith("inventory-") and not n.endswith("-ambassador")]
check(len(instances) >= 2, "compose needs at least two inventory instances")
for name in instances:
    check(not any(k.startswith("Consul__") for k in (services[name].get("environment") or {})), f"compose {name} must not register itself (no Consul__* env)")
    sidecar = services.get(f"{name}-ambassador")
    check(sidecar is not None, f"compose {name} needs its own ambassador {name}-ambassador")
    if sidecar:
        check(sidecar.get("network_mode") == f"service:{name}", f"compose {name}-ambassador must share {name}'s network namespace")
        check(any(v.startswith("./deploy/compose/inventory-ambassador.json:") for v in sidecar.get("volumes", [])), f"compose {name}-ambassador must mount deploy/compose/inventory-ambassador.json")
        env = sidecar.get("environment") or {}
        check(env.get("Ambassador__Registration__Consul__Address") == name, f"compose {name}-ambassador must advertise {name}")
        check(env.get("Ambassador__Discovery__Consul__Address") == "http://consul:8500", f"compose {name}-ambassador must use the consul service")

if errors:
    for e in errors:
        print(f"samples-check: {e}", file=sys.stderr)
    sys.exit(1)
PY
echo "samples-check: ok"
