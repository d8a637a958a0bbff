package org.leverplus.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

import java.util.Map;

/** The device a Spark task computes on: the first GPU address Spark assigned to the task, else the run's default. */
public final class TaskDevice {
    private TaskDevice() {}

    public static String current(String fallback) {
        TaskContext tc = TaskContext.get();
        if (tc == null) return fallback;
        Map<String, ResourceInformation> resources = tc.resourcesJMap();
        ResourceInformation gpu = resources == null ? null : resources.get("gpu");
        if (gpu == null || gpu.addresses().length == 0) return fallback;
        return "cuda:" + gpu.addresses()[0];
    }
}
