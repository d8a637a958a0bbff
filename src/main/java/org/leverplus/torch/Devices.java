package org.leverplus.torch;

import org.bytedeco.pytorch.Device;

/** Parses and checks device names ("cpu", "cuda", "cuda:N") for commands and configs. */
public final class Devices {
    private Devices() {}

    /**
     * The LibTorch device for {@code name}; IllegalArgumentException for a malformed name, and IllegalStateException
     * naming what is missing when a CUDA device is asked for but LibTorch sees none (CPU natives, no driver, no GPU).
     */
    public static Device parse(String name) {
        TorchRuntime.init();
        String n = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
        if (n.equals("cpu")) return new Device("cpu");
        if (!n.matches("cuda(:\\d+)?"))
            throw new IllegalArgumentException("device must be 'cpu', 'cuda' or 'cuda:N', got '" + name + "'");
        long count = TorchRuntime.cudaDeviceCount();
        int index = n.contains(":") ? Integer.parseInt(n.substring(5)) : 0;
        if (count == 0)
            throw new IllegalStateException("device '" + name + "' requested but LibTorch sees no CUDA device "
                    + "(build with -Pgpu for LibTorch's CUDA natives, and check the driver with nvidia-smi)");
        if (index >= count)
            throw new IllegalArgumentException("device '" + name + "' requested but only " + count + " CUDA device(s) exist");
        return new Device(n.contains(":") ? n : "cuda:0");
    }

    /** "cpu" or "cuda:N". */
    public static String name(Device d) {
        return d.is_cuda() ? "cuda:" + Math.max(0, d.index()) : "cpu";
    }
}
