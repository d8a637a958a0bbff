package org.leverplus.cli;

/** Test helper run in a separate JVM: runs several lever command lines (separated by ";;") in order, stops at the first failure. */
public final class CliScriptMain {
    public static void main(String[] args) {
        java.util.List<String> cmd = new java.util.ArrayList<>();
        for (int i = 0; i <= args.length; i++) {
            if (i == args.length || args[i].equals(";;")) {
                int code = LeverCli.commandLine().execute(cmd.toArray(new String[0]));
                if (code != 0) System.exit(code);
                cmd.clear();
            } else {
                cmd.add(args[i]);
            }
        }
        System.exit(0);
    }
}
