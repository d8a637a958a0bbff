package org.leverplus.cli;

import org.leverplus.kernels.SelfCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code lever kernels selfcheck}: every kernel against its LibTorch composite on random inputs. */
@Command(name = "kernels", description = "Kernel library tools.", subcommands = KernelsCommand.SelfCheckCommand.class)
final class KernelsCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { LeverCli.missingSubcommand(spec); }

    @Command(name = "selfcheck", description = "Compare every kernel (CPU, and CUDA when a device is present) with the LibTorch composite.")
    static final class SelfCheckCommand implements Callable<Integer> {
        @Option(names = "--seed", defaultValue = "1234", description = "Random seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Override public Integer call() {
            List<SelfCheck.Check> checks = SelfCheck.run(seed);
            int bad = 0;
            for (SelfCheck.Check c : checks) {
                System.out.printf("%-4s %-58s rel err %.2e (tol %.0e)%n", c.ok() ? "ok" : "FAIL", c.name(), c.relError(), c.tolerance());
                if (!c.ok()) bad++;
            }
            System.out.println(bad == 0 ? "selfcheck: " + checks.size() + " passed, 0 failed"
                    : "selfcheck: " + (checks.size() - bad) + " passed, " + bad + " failed");
            return bad == 0 ? 0 : LeverCli.EXIT_FAILURE;
        }
    }
}
