/** LibTorch glue shared by every stage: runtime set-up (threads, denormals), per-step native memory scopes, dtypes. */
package org.leverplus.torch;
