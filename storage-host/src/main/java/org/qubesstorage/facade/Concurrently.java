package org.qubesstorage.facade;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.qubesstorage.spi.StorageException;

/**
 * Runs one action per item on virtual threads and waits for all of them (upstream's
 * {@code void_coros_maybe}): every action runs to its end even if another fails.
 */
final class Concurrently {
    /** The outcome for one item: its failure, or null. */
    record Outcome<T>(T item, RuntimeException failure) {
        boolean ok() {
            return failure == null;
        }
    }

    private Concurrently() {}

    static <T> List<Outcome<T>> forEach(List<T> items, Consumer<T> action) {
        List<Outcome<T>> outcomes = new ArrayList<>();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (T item : items) {
                futures.add(ex.submit(() -> action.accept(item)));
            }
            for (int i = 0; i < items.size(); i++) {
                RuntimeException failure = null;
                try {
                    futures.get(i).get();
                } catch (ExecutionException e) {
                    failure = e.getCause() instanceof RuntimeException r ? r
                            : StorageException.backend(String.valueOf(e.getCause()), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = StorageException.backend("interrupted", e);
                }
                outcomes.add(new Outcome<>(items.get(i), failure));
            }
        }
        return outcomes;
    }

    /** Throws the first failure in item order, with the later ones suppressed. */
    static <T> void throwFirst(List<Outcome<T>> outcomes) {
        RuntimeException first = null;
        for (Outcome<T> o : outcomes) {
            if (!o.ok()) {
                if (first == null) {
                    first = o.failure();
                } else if (first != o.failure()) {
                    first.addSuppressed(o.failure());
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
