# jstip_add_plugin(NAME <name> KIND <kind> SOURCES <files...> [LIBRARIES <libs...>])
#
# Builds a plugin shared object jstip_plugin_<name>.so that the host can load.
# Used in tree and, through the installed jstipConfig.cmake, out of tree.
function(jstip_add_plugin)
  cmake_parse_arguments(ARG "" "NAME;KIND;OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_KIND OR NOT ARG_SOURCES)
    message(FATAL_ERROR "jstip_add_plugin needs NAME, KIND and SOURCES")
  endif()
  set(target jstip_plugin_${ARG_NAME})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE jstip::sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden
                                             VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  elseif(JSTIP_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${JSTIP_PLUGIN_OUTPUT_DIR})
  endif()
  # Interleavers and synthesizers compile without torch: no precompiled torch header.
  if(COMMAND jstip_use_torch_pch AND NOT ARG_KIND MATCHES "^(interleaver|synthesizer)$")
    jstip_use_torch_pch(${target})
  endif()
  if(TARGET jstip_main)  # in-tree: part of the main job's build
    add_dependencies(jstip_main ${target})
  endif()
  if(JSTIP_INSTALL_PLUGIN_DIR AND NOT ARG_OUTPUT_DIRECTORY)
    install(TARGETS ${target} LIBRARY DESTINATION ${JSTIP_INSTALL_PLUGIN_DIR})
  endif()
endfunction()
