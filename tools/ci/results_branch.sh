#!/usr/bin/env bash
# The `results` branch holds asv's results (results/) and the ledger of what the nightly and the
# backfill measured (ledger.json, tools.ci.ledger); never main. Run from a clone of this repository.
#   tools/ci/results_branch.sh checkout DIR [BRANCH]      # DIR = a fresh worktree of origin's BRANCH
#                                                         # (an orphan branch when origin has none)
#   tools/ci/results_branch.sh push DIR MESSAGE [BRANCH]  # commit and push; exit 3 when origin
#                                                         # moved on (check out again and retry)
# $RESULTS_TOKEN, when set, authenticates fetch and push to github.com for this command only
# (workflows check out with persist-credentials: false, so no token is left in .git/config).
set -euo pipefail
cmd=${1:?usage: results_branch.sh checkout DIR [BRANCH] | push DIR MESSAGE [BRANCH]}
dir=${2:?missing DIR}
if [ -n "${RESULTS_TOKEN:-}" ]; then
  basic=$(printf 'x-access-token:%s' "$RESULTS_TOKEN" | base64 -w0)
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="http.https://github.com/.extraheader"
  export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $basic"
fi
case "$cmd" in
  checkout)
    branch=${3:-results}
    if [ -e "$dir" ]; then
      # A previous attempt's worktree: start again from origin's tip, not from local leftovers.
      git worktree remove --force "$dir"
    fi
    # Only "no such branch" (exit status 2) starts a new branch: any other failure (network,
    # credentials) must not make the whole history look new.
    rc=0
    git ls-remote --exit-code --heads origin "$branch" >/dev/null || rc=$?
    if [ "$rc" -eq 0 ]; then
      git fetch --quiet origin "+refs/heads/$branch:refs/remotes/origin/$branch"
      git worktree add --quiet --force -B "$branch" "$dir" "origin/$branch"
    elif [ "$rc" -ne 2 ]; then
      echo "results_branch: git ls-remote origin failed (exit status $rc); not starting a new $branch branch" >&2
      exit 1
    else
      echo "results_branch: origin has no $branch branch; starting an orphan one" >&2
      git worktree add --quiet --detach "$dir"
      git -C "$dir" checkout --quiet --orphan "$branch"
      git -C "$dir" rm -rfq --ignore-unmatch .
      printf '# Benchmark results\n\nasv results of bengal-benchmarks (results/, one folder per machine and profile) and\nthe ledger of what was measured (ledger.json). Written by CI; never merged into main.\n' \
        > "$dir/README.md"
    fi
    mkdir -p "$dir/results"
    ;;
  push)
    msg=${3:?missing MESSAGE}
    branch=${4:-results}
    git -C "$dir" add -A -- results
    for f in ledger.json README.md; do
      if [ -e "$dir/$f" ]; then git -C "$dir" add -- "$f"; fi
    done
    if git -C "$dir" diff --cached --quiet; then
      echo "results_branch: nothing new to push" >&2
      exit 0
    fi
    git -C "$dir" -c user.name="bengal-benchmarks bot" \
      -c user.email="bengal-benchmarks-bot@users.noreply.github.com" commit --quiet -m "$msg"
    if ! out=$(git -C "$dir" push --quiet origin "HEAD:refs/heads/$branch" 2>&1); then
      echo "$out" >&2
      if grep -qE '\((fetch first|non-fast-forward)\)' <<<"$out"; then
        exit 3
      fi
      exit 1
    fi
    ;;
  *)
    echo "results_branch: unknown command $cmd" >&2
    exit 2
    ;;
esac
