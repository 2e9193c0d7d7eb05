package org.qubesstorage.tck;

import java.lang.reflect.Method;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGenerator;

/** Test names as sentences: {@code keep_their_data_across_stop_and_start} → "keep their data across stop and start". */
public final class SentenceNames extends DisplayNameGenerator.Standard {
    @Override
    public String generateDisplayNameForMethod(List<Class<?>> enclosing, Class<?> testClass, Method testMethod) {
        return testMethod.getName().replace('_', ' ');
    }
}
