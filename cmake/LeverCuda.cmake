# Decides whether to build libleverkernels_cuda.so. LEVER_CUDA=AUTO builds it when a CUDA compiler is found,
# ON requires one, OFF skips it. Sets LEVER_BUILD_CUDA.
include(CheckLanguage)
set(LEVER_CUDA "AUTO" CACHE STRING "Build the CUDA kernel library: AUTO, ON or OFF")
set(LEVER_BUILD_CUDA OFF)
if(NOT LEVER_CUDA STREQUAL "OFF")
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(LEVER_BUILD_CUDA ON)
  elseif(LEVER_CUDA STREQUAL "ON")
    message(FATAL_ERROR "LEVER_CUDA=ON but no CUDA compiler (nvcc) was found")
  else()
    message(STATUS "lever: nvcc not found, building the CPU kernels only")
  endif()
endif()
if(LEVER_BUILD_CUDA)
  enable_language(CUDA)
  # sm_90 machine code (H100/H200) plus compute_90 PTX so newer GPUs can JIT it
  set(LEVER_CUDA_ARCHITECTURES "90-real;90-virtual" CACHE STRING "CUDA architectures for the kernel library")
  # static cudart: the library has no DT_NEEDED on libcudart/libcuda and loads on machines without a driver
  set(CMAKE_CUDA_RUNTIME_LIBRARY Static)
  message(STATUS "lever: building libleverkernels_cuda.so for ${LEVER_CUDA_ARCHITECTURES} with ${CMAKE_CUDA_COMPILER}")
endif()
