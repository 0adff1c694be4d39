{{/*
Names, labels and images shared by every template. A "component" is one of the five
services, the demo site, or one of the two Jobs (migrate, bootstrap).
*/}}

{{- define "reos.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* `<release>-<chart>`, or the release name alone when it already contains the chart name. */}}
{{- define "reos.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "reos.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The five services, in pipeline order; the demo site is handled beside them. */}}
{{- define "reos.serviceNames" -}}
scraper enricher scorer docgen gateway
{{- end -}}

{{/* Name of a component's resources. Call with (dict "root" $ "component" "gateway"). */}}
{{- define "reos.componentName" -}}
{{- printf "%s-%s" (include "reos.fullname" .root | trunc 52 | trimSuffix "-") .component -}}
{{- end -}}

{{/* Labels of every resource; with "component" set, the component's too. */}}
{{- define "reos.labels" -}}
helm.sh/chart: {{ include "reos.chart" .root }}
{{ include "reos.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: real-estate-os
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels a component's Deployment, Service, PDB and ServiceMonitor select its pods by. */}}
{{- define "reos.selectorLabels" -}}
app.kubernetes.io/name: {{ include "reos.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/* commonAnnotations as a mapping body, or nothing. */}}
{{- define "reos.annotations" -}}
{{- with .Values.commonAnnotations }}
{{- toYaml . }}
{{- end }}
{{- end -}}

{{/* A component's image: `<registry>/<repository>/<image>:<tag>`; call with (dict "root" $ "image" "gateway"). */}}
{{- define "reos.image" -}}
{{- $image := .root.Values.image -}}
{{- $tag := default .root.Chart.AppVersion $image.tag -}}
{{- if eq $tag "latest" -}}
{{- fail "image.tag: pin a version; `latest` is not reproducible" -}}
{{- end -}}
{{- $repository := printf "%s/%s" $image.repository .image -}}
{{- if $image.registry -}}
{{- printf "%s/%s:%s" $image.registry $repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "reos.configMapName" -}}
{{- printf "%s-config" (include "reos.fullname" .) -}}
{{- end -}}

{{- define "reos.secretName" -}}
{{- default (printf "%s-credentials" (include "reos.fullname" .)) .Values.credentials.existingSecret -}}
{{- end -}}

{{/* The Secret the migration hook reads: the existing one, or a hook copy made before it runs. */}}
{{- define "reos.migrationSecretName" -}}
{{- default (printf "%s-migrate" (include "reos.fullname" .)) .Values.credentials.existingSecret -}}
{{- end -}}

{{/* Pod settings every pod shares: identity, pull secrets, security context, scheduling. */}}
{{- define "reos.podSettings" -}}
automountServiceAccountToken: false
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The writable /tmp every container gets, since its root filesystem is read-only. */}}
{{- define "reos.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{/* The reference CSVs (REOS_DATA_DIR), from a PVC, a node folder or nowhere (emptyDir). */}}
{{- define "reos.referenceDataVolume" -}}
{{- $data := .Values.referenceData -}}
- name: reference-data
{{- if eq $data.source "existingClaim" }}
  persistentVolumeClaim:
    claimName: {{ required "referenceData.existingClaim is required when referenceData.source is existingClaim" $data.existingClaim }}
    readOnly: true
{{- else if eq $data.source "hostPath" }}
  hostPath:
    path: {{ required "referenceData.hostPath is required when referenceData.source is hostPath" $data.hostPath }}
    type: Directory
{{- else }}
  emptyDir: {}
{{- end }}
{{- end -}}

{{/* The label of pods allowed to call the gateway when network policies are on. */}}
{{- define "reos.clientLabel" -}}
{{ include "reos.name" . }}/gateway-client: "true"
{{- end -}}
