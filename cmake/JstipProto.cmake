# Protocol Buffers for on-disk records and log formats (proto/).
find_package(Protobuf REQUIRED)

# jstip_protoc(<name> <out-var> [<root>]): proto/<name>.proto -> <root>/proto/<name>.pb.{h,cc}
# (<root> defaults to ${PROJECT_BINARY_DIR}), included as "proto/<name>.pb.h";
# sets <out-var> to the generated .cc. A second <root> gives a second copy
# (fuzz/ compiles its own, instrumented).
function(jstip_protoc name out_var)
  set(root ${PROJECT_BINARY_DIR})
  if(ARGC GREATER 2)
    set(root ${ARGV2})
  endif()
  set(out_dir ${root}/proto)
  file(MAKE_DIRECTORY ${out_dir})
  add_custom_command(
    OUTPUT ${out_dir}/${name}.pb.h ${out_dir}/${name}.pb.cc
    COMMAND protobuf::protoc --cpp_out=${out_dir} -I ${PROJECT_SOURCE_DIR}/proto ${PROJECT_SOURCE_DIR}/proto/${name}.proto
    DEPENDS ${PROJECT_SOURCE_DIR}/proto/${name}.proto protobuf::protoc
    COMMENT "protoc ${name}.proto")
  set(${out_var} ${out_dir}/${name}.pb.cc PARENT_SCOPE)
endfunction()
