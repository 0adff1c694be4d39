#!/usr/bin/env bash
# Validate the chart with a real helm: strict lint, renders with the default values and
# with every optional part on, and the schema refusing a mistyped value.
#   deploy/helm/check.sh            (builds helm into .stack/bin on first use)
#   deploy/helm/check.sh --install  (only make sure helm is there; prints its path)
# Building helm needs Go and the Go module proxy; a cold build takes a few minutes.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
chart="$repo/deploy/helm/real-estate-os"
bin="$repo/.stack/bin"
helm="$bin/helm"

HELM_VERSION=v3.22.0
# The Kubernetes minor version helm v3.22.0 is built against (its k8s.io/client-go v0.37):
# a release build stamps it in, and without it `helm template` assumes Kubernetes 1.20.
KUBE_MINOR=37

install_helm() {
    if [[ -x "$helm" && "$("$helm" version --template '{{.Version}}')" == "$HELM_VERSION" ]]; then
        return 0
    fi
    command -v go >/dev/null || { echo "check.sh: helm is missing and Go is not installed" >&2; exit 1; }
    echo "check.sh: building helm $HELM_VERSION into $bin" >&2
    mkdir -p "$bin"
    local pkg=helm.sh/helm/v3
    GOBIN="$bin" go install -ldflags "\
        -X $pkg/internal/version.version=$HELM_VERSION \
        -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$KUBE_MINOR \
        -X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=$KUBE_MINOR" \
        "$pkg/cmd/helm@$HELM_VERSION"
}

install_helm
if [[ "${1:-}" == "--install" ]]; then
    echo "$helm"
    exit 0
fi

everything_on=(
    --set demoSite.enabled=true
    --set metrics.serviceMonitor.enabled=true
    --set credentials.existingSecret=reos-credentials
    --set referenceData.source=existingClaim --set referenceData.existingClaim=reos-data
)
for service in scraper enricher scorer docgen gateway; do
    everything_on+=(--set "$service.autoscaling.enabled=true" --set "$service.pdb.create=true")
done

"$helm" lint --strict "$chart"
for values in "$chart"/ci/*-values.yaml; do
    "$helm" lint --strict "$chart" -f "$values"
done
"$helm" lint --strict "$chart" "${everything_on[@]}"
"$helm" template reos "$chart" >/dev/null
echo "template (default values): $("$helm" template reos "$chart" | grep -c '^kind:') objects"
echo "template (everything on):  $("$helm" template reos "$chart" "${everything_on[@]}" | grep -c '^kind:') objects"
if "$helm" template reos "$chart" --set-string gateway.replicaCount=two >/dev/null 2>&1; then
    echo "check.sh: values.schema.json accepted gateway.replicaCount=two" >&2
    exit 1
fi
echo "schema: refuses gateway.replicaCount=two"
