#!/usr/bin/env bash
# Installs the SDK into a temporary prefix, builds examples/speech_prefix_interleaver
# out of tree against it with find_package(jstip), and has the *installed*
# host load the plugin and compose a config with it.
set -euo pipefail
source_dir=$1
build_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
test -f "$work/prefix/lib/cmake/jstip/jstipConfig.cmake" || { echo "jstipConfig.cmake not installed"; exit 1; }

cmake -S "$source_dir/examples/speech_prefix_interleaver" -B "$work/example" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release > "$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$work/example" -j2 > "$work/build.log" || { cat "$work/build.log"; exit 1; }

jstip="$work/prefix/bin/jstip"
export JSTIP_PLUGIN_PATH="$work/example" JSTIP_SKIP_BLAS_CHECK=1
listing=$("$jstip" plugins list)
echo "$listing"
echo "$listing" | grep -E "^speech_prefix +interleaver +0\.1\.0 +$work/example/jstip_plugin_speech_prefix\.so" ||
  { echo "example plugin not listed"; exit 1; }
# In-tree plugins come from the installed prefix, not the build tree.
echo "$listing" | grep -E "^asr +interleaver .*$work/prefix/lib/jstip/plugins/" || { echo "installed plugins missing"; exit 1; }

"$jstip" config check "$source_dir/examples/speech_prefix_interleaver/example.yaml" | grep "interleaver=speech_prefix"
# Its options are validated like any in-tree plugin's.
if "$jstip" config check "$source_dir/examples/speech_prefix_interleaver/example.yaml" \
     interleaver.max_prefix_fractoin=0.3 2> "$work/err.log"; then
  echo "a misspelled option was accepted"; exit 1
fi
grep "did you mean 'max_prefix_fraction'" "$work/err.log"
echo "out-of-tree plugin: ok"
