# Compiler flags for the CPU kernels: portable x86-64 baseline (hot loops add AVX2/FMA clones at run time through
# target_clones), OpenMP where available, and no fast-math (the kernels rely on IEEE inf handling).
find_package(OpenMP COMPONENTS CXX)
function(lever_cpu_flags target)
  target_compile_options(${target} PRIVATE -O3 -fno-math-errno -fopenmp-simd -Wall -Wextra -Wno-unused-parameter)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    target_compile_options(${target} PRIVATE -march=x86-64-v2)
  endif()
  if(OpenMP_CXX_FOUND)
    target_link_libraries(${target} PRIVATE OpenMP::OpenMP_CXX)
  endif()
  target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS})
endfunction()
