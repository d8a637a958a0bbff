package org.leverplus.torch;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * Native memory scope for one step (training step, decode step, request). Every tensor and other native object
 * created while the scope is open is released when it closes; {@link #keep} is the only way a tensor leaves it.
 * Without a scope per step RSS grows about 20 MB per training step, because the Java GC never sees the pressure.
 * <pre>{@code
 * try (TensorScope s = TensorScope.open()) {
 *     Tensor loss = model.loss(batch);
 *     loss.backward();
 *     return loss.item_float();
 * }
 * }</pre>
 */
public final class TensorScope implements AutoCloseable {
    private final PointerScope scope;

    private TensorScope() {
        this.scope = new PointerScope();
    }

    public static TensorScope open() {
        return new TensorScope();
    }

    /** Detaches {@code p} from this scope (and any enclosing one): the caller now owns it and must close it. */
    public <P extends Pointer> P keep(P p) {
        // PointerScope.detach releases the reference the scope took on attach; an object created in the scope holds
        // only that one, so without our own reference first it would be freed right here.
        p.retainReference();
        scope.detach(p);
        return p;
    }

    /** Attaches a kept object to this scope again, so it is released with it. */
    public <P extends Pointer> P adopt(P p) {
        scope.attach(p);        // the scope's reference ...
        p.releaseReference();   // ... replaces the caller's, so closing the scope frees it
        return p;
    }

    @Override public void close() {
        scope.close();
    }
}
