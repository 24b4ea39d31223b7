# Protocol Buffers for on-disk records and log formats (proto/).
find_package(Protobuf REQUIRED)

# jstip_protoc(<name> <out-var>): proto/<name>.proto -> ${PROJECT_BINARY_DIR}/proto/<name>.pb.{h,cc},
# included as "proto/<name>.pb.h"; sets <out-var> to the generated .cc.
function(jstip_protoc name out_var)
  set(out_dir ${PROJECT_BINARY_DIR}/proto)
  file(MAKE_DIRECTORY ${out_dir})
  add_custom_command(
    OUTPUT ${out_dir}/${name}.pb.h ${out_dir}/${name}.pb.cc
    COMMAND protobuf::protoc --cpp_out=${out_dir} -I ${PROJECT_SOURCE_DIR}/proto ${PROJECT_SOURCE_DIR}/proto/${name}.proto
    DEPENDS ${PROJECT_SOURCE_DIR}/proto/${name}.proto protobuf::protoc
    COMMENT "protoc ${name}.proto")
  set(${out_var} ${out_dir}/${name}.pb.cc PARENT_SCOPE)
endfunction()
