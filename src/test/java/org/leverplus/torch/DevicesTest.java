package org.leverplus.torch;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class DevicesTest {
    @Test
    void parsesCpuAndRejectsMalformedNames() {
        assertEquals("cpu", Devices.name(Devices.parse("cpu")));
        assertEquals("cpu", Devices.name(Devices.parse(" CPU ")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.parse("gpu0"));
        assertTrue(e.getMessage().contains("'gpu0'"), e.getMessage());
    }

    @Test
    void cudaWithoutDeviceSaysWhatIsMissing() {
        if (TorchRuntime.cudaDeviceCount() > 0) {
            assertTrue(Devices.parse("cuda").is_cuda());
            return;
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Devices.parse("cuda:0"));
        assertTrue(e.getMessage().contains("sees no CUDA device"), e.getMessage());
    }
}
