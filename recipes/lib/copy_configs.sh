# copy_configs DIR DATA: the repository's configs/*.yaml into DIR, their
# data/quick/ paths pointing at DATA/ instead (the configs name the quick
# data; recipes run on any). Run from the repository root. Sourced.
copy_configs() {
  mkdir -p "$1"
  local f
  for f in configs/*.yaml; do sed "s#data/quick/#$2/#g" "$f" > "$1/$(basename "$f")"; done
}
