#!/usr/bin/env bash
# The `results` branch holds asv's results (results/) and the last published regression list
# (published/); never main. Run from a clone of this repository whose `origin` may be pushed to.
#   tools/ci/results_branch.sh checkout DIR [BRANCH]        # worktree of BRANCH (created if new)
#   tools/ci/results_branch.sh push DIR MESSAGE [BRANCH]    # commit results/ published/, push
set -euo pipefail
cmd=${1:?usage: results_branch.sh checkout DIR [BRANCH] | push DIR MESSAGE [BRANCH]}
dir=${2:?missing DIR}
case "$cmd" in
  checkout)
    branch=${3:-results}
    if git ls-remote --exit-code --heads origin "$branch" >/dev/null; then
      git fetch --quiet origin "+refs/heads/$branch:refs/remotes/origin/$branch"
      git worktree add --quiet --force -B "$branch" "$dir" "origin/$branch"
    else
      echo "results_branch: origin has no $branch branch; starting an orphan one" >&2
      git worktree add --quiet --detach "$dir"
      git -C "$dir" checkout --quiet --orphan "$branch"
      git -C "$dir" rm -rfq --ignore-unmatch .
      printf '# Benchmark results\n\nasv results of bengal-benchmarks (results/) and the last\npublished regression list (published/). Written by CI; never merged into main.\n' \
        > "$dir/README.md"
    fi
    mkdir -p "$dir/results" "$dir/published"
    ;;
  push)
    msg=${3:?missing MESSAGE}
    branch=${4:-results}
    git -C "$dir" add -A -- results published README.md 2>/dev/null || git -C "$dir" add -A -- results published
    if git -C "$dir" diff --cached --quiet; then
      echo "results_branch: nothing new to push" >&2
      exit 0
    fi
    git -C "$dir" -c user.name="bengal-benchmarks bot" \
      -c user.email="bengal-benchmarks-bot@users.noreply.github.com" commit --quiet -m "$msg"
    git -C "$dir" push --quiet origin "HEAD:refs/heads/$branch"
    ;;
  *)
    echo "results_branch: unknown command $cmd" >&2
    exit 2
    ;;
esac
