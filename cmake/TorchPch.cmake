# <torch/torch.h> costs tens of seconds per translation unit. Compile it once
# into a precompiled header and let every torch-using target reuse it.
add_library(jstip_torch_pch OBJECT ${CMAKE_CURRENT_LIST_DIR}/pch_anchor.cc)
target_link_libraries(jstip_torch_pch PUBLIC torch)
if(JSTIP_USE_PCH)
  target_precompile_headers(jstip_torch_pch PRIVATE <torch/torch.h>)
endif()

function(jstip_use_torch_pch target)
  if(JSTIP_USE_PCH)
    target_precompile_headers(${target} REUSE_FROM jstip_torch_pch)
    # The header is compiled with -fPIC; executables would get -fPIE, which
    # makes GCC reject the header and parse torch again in every file.
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
      target_compile_options(${target} PRIVATE -fPIC)
    endif()
  endif()
endfunction()
