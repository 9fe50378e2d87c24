#!/bin/sh
# Entrypoint of the gateway image. With ENCORE_GATEWAY__SHARD_IDS=from-hostname (a Kubernetes StatefulSet),
# this pod runs shards ORDINAL*K .. ORDINAL*K+K-1, where ORDINAL is the number after the last "-" of the host name
# (encore-gateway-2 -> 2) and K is ENCORE_SHARDS_PER_POD (default 1); ENCORE_GATEWAY__SHARD_COUNT must be
# replicas*K. Anything else passes through unchanged. Then it runs the command (python -m gateway).
set -eu

if [ "${ENCORE_GATEWAY__SHARD_IDS:-}" = "from-hostname" ]; then
    # Docker and Kubernetes put the container's host name (the pod name) into the environment as HOSTNAME.
    # shellcheck disable=SC3028
    host="${HOSTNAME:-$(hostname)}"
    ordinal="${host##*-}"
    per_pod="${ENCORE_SHARDS_PER_POD:-1}"
    case "$ordinal" in
        ''|*[!0-9]*) echo "encore: cannot take a shard ordinal from host name '$host'" >&2; exit 64 ;;
    esac
    case "$per_pod" in
        ''|0|*[!0-9]*) echo "encore: ENCORE_SHARDS_PER_POD must be a positive integer" >&2; exit 64 ;;
    esac
    if [ -z "${ENCORE_GATEWAY__SHARD_COUNT:-}" ]; then
        echo "encore: ENCORE_GATEWAY__SHARD_IDS=from-hostname needs ENCORE_GATEWAY__SHARD_COUNT" >&2
        exit 64
    fi
    first=$((ordinal * per_pod))
    ids="$first"
    shard=$((first + 1))
    while [ "$shard" -lt $((first + per_pod)) ]; do
        ids="$ids,$shard"
        shard=$((shard + 1))
    done
    if [ $((first + per_pod)) -gt "$ENCORE_GATEWAY__SHARD_COUNT" ]; then
        echo "encore: pod $ordinal would run shards $ids of $ENCORE_GATEWAY__SHARD_COUNT" >&2
        exit 64
    fi
    ENCORE_GATEWAY__SHARD_IDS="$ids"
    export ENCORE_GATEWAY__SHARD_IDS
fi

exec "$@"
