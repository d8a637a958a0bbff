/** Lever's own C/CUDA kernel library: the JavaCPP binding and the checked facade {@link org.leverplus.kernels.Kernels}. */
package org.leverplus.kernels;
