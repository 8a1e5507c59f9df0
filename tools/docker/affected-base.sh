#!/usr/bin/env bash
# The commit range `nx affected` compares, written as NX_BASE and NX_HEAD to $GITHUB_ENV (or
# printed when it is unset). Ours rather than a third-party action, so that the jobs holding
# `id-token` and `contents: write` run no code we have not read.
#
#   affected-base.sh merge-base <branch>       pull requests: where the change left <branch>
#   affected-base.sh last-success <workflow>   main: the last commit <workflow> succeeded on
#                                              (`gh`, with GH_TOKEN); none yet, or a commit no longer
#                                              in history: the first commit, so everything is affected
set -euo pipefail

mode=${1:-}
arg=${2:-}
head=$(git rev-parse HEAD)

case "$mode" in
  merge-base)
    [ -n "$arg" ] || { echo "affected-base.sh: merge-base needs the target branch" >&2; exit 2; }
    base=$(git merge-base "origin/$arg" HEAD)
    ;;
  last-success)
    [ -n "$arg" ] || { echo "affected-base.sh: last-success needs the workflow file name" >&2; exit 2; }
    branch=$(git rev-parse --abbrev-ref HEAD)
    [ "$branch" != HEAD ] || branch=${GITHUB_REF_NAME:?affected-base.sh: detached HEAD and no GITHUB_REF_NAME}
    base=$(gh run list --workflow "$arg" --branch "$branch" --status success --limit 1 --json headSha --jq '.[0].headSha // ""')
    if [ -z "$base" ] || ! git cat-file -e "$base^{commit}" 2>/dev/null || ! git merge-base --is-ancestor "$base" HEAD; then
      echo "affected-base.sh: no successful $arg run on $branch in this history; everything is affected" >&2
      base=$(git rev-list --max-parents=0 HEAD | tail -n 1)
    fi
    ;;
  *)
    echo "usage: affected-base.sh merge-base <branch> | last-success <workflow>" >&2
    exit 2
    ;;
esac

if [ -n "${GITHUB_ENV:-}" ]; then
  printf 'NX_BASE=%s\nNX_HEAD=%s\n' "$base" "$head" >> "$GITHUB_ENV"
fi
printf 'NX_BASE=%s\nNX_HEAD=%s\n' "$base" "$head"
