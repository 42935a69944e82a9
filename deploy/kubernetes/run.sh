#!/bin/sh
# Runs the sharded sweep on the current kubectl context, then the merge, then copies the merged
# sweep to ./fleetsim-sweep. Usage: deploy/kubernetes/run.sh [namespace]
set -eu
NS="${1:-default}"
HERE="$(dirname "$0")"
k() { kubectl -n "$NS" "$@"; }

# Waits for a Job to complete; fails at once if it fails (kubectl wait only knows one condition).
wait_job() {
  end=$(( $(date +%s) + $2 ))
  while :; do
    [ "$(k get job "$1" -o jsonpath='{.status.conditions[?(@.type=="Complete")].status}')" = True ] && return 0
    if [ "$(k get job "$1" -o jsonpath='{.status.conditions[?(@.type=="Failed")].status}')" = True ]; then
      echo "job $1 failed:" >&2
      k logs "job/$1" --tail=50 >&2 || true
      return 1
    fi
    [ "$(date +%s)" -lt "$end" ] || { echo "timed out waiting for job $1" >&2; return 1; }
    sleep 10
  done
}

k delete job fleetsim-sweep fleetsim-merge --ignore-not-found
# A fetch pod left by an interrupted earlier run would make `kubectl run` below fail (AlreadyExists).
k delete pod fleetsim-fetch --ignore-not-found
k apply -f "$HERE/sweep-job.yaml"
# An Indexed Job is Complete when every index has succeeded.
wait_job fleetsim-sweep 21600
k apply -f "$HERE/merge-job.yaml"
wait_job fleetsim-merge 3600
k logs job/fleetsim-merge

# Copy the result out through a short-lived pod on the same volume.
k run fleetsim-fetch --image=busybox:1.36 --restart=Never \
  --overrides='{"spec":{"volumes":[{"name":"out","persistentVolumeClaim":{"claimName":"fleetsim-out"}}],"containers":[{"name":"fetch","image":"busybox:1.36","command":["sleep","600"],"volumeMounts":[{"name":"out","mountPath":"/out"}]}]}}'
k wait --for=condition=ready --timeout=5m pod/fleetsim-fetch
# kubectl cp merges into an existing local directory: copy into a fresh one, then replace
# ./fleetsim-sweep, so files of an earlier, larger sweep (points/, charts/) do not linger.
rm -rf ./fleetsim-sweep.partial
k cp fleetsim-fetch:/out/merged ./fleetsim-sweep.partial
k delete pod fleetsim-fetch
rm -rf ./fleetsim-sweep
mv ./fleetsim-sweep.partial ./fleetsim-sweep
echo "merged sweep in ./fleetsim-sweep (sweep.csv, sweep.json, points/, charts/)"
