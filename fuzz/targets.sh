# The fuzz targets and their dictionaries, in one place, for scripts/fuzz.sh,
# .clusterfuzzlite/build.sh and .ci/run (source it from the repository root).
#
# The list is fuzz/Cargo.toml's [[bin]] names: a target added there is fuzzed,
# built for ClusterFuzzLite and checked by CI without another edit. Its dictionary
# is chosen here by its name.

# Every fuzz target, one per line.
fuzz_targets() {
    sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^wirecheck-fuzz$'
}

# The dictionary (under corpus/dict/) of target $1.
fuzz_dict() {
    case "$1" in
        sse_*) echo corpus/dict/sse.dict ;;
        ws_deflate_inflate) echo corpus/dict/deflate.dict ;;
        ws_handshake_*|ws_extensions|diff_ws_handshake|http_*|ws_deflate_negotiation|proxy_watch) echo corpus/dict/http.dict ;;
        *) echo corpus/dict/ws.dict ;;
    esac
}
