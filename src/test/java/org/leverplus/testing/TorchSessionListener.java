package org.leverplus.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.leverplus.torch.TorchRuntime;

/**
 * Initialises LibTorch once per test JVM before any test class touches a torch class, so every test runs with the
 * same thread and denormal settings as the CLI and the cold-cache extraction order of {@link TorchRuntime} applies.
 */
public final class TorchSessionListener implements LauncherSessionListener {
    @Override public void launcherSessionOpened(LauncherSession session) {
        TorchRuntime.init();
    }
}
