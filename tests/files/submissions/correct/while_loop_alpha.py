import numpy as np

from utils import relu, sigmoid, X_train, y_train


class Layer:
    """A fully connected layer followed by an element-wise activation.

    Parameters
    ----------
    n_inputs : int
        Number of inputs of the layer.
    n_neurons : int
        Number of neurons, so the number of outputs.
    activation_function : object
        Callable as ``f(z)``, with a method ``f.derivative(z)`` that returns
        f'(z) with respect to the pre-activation ``z`` (``relu`` or
        ``sigmoid`` from utils).
    """

    def __init__(self, n_inputs, n_neurons, activation_function):
        self.weights = np.random.uniform(-1, 1, (n_neurons, n_inputs))
        self.biases = np.zeros((n_neurons, 1))
        self.activation = activation_function
        self.inputs = None
        self.outputs = None

    def forward(self, inputs):
        """Compute a = f(W x + b) and store x and z for backward.

        ``self.inputs`` becomes the input as a column vector, shape
        (n_inputs, 1), and ``self.outputs`` the pre-activation z, shape
        (n_neurons, 1).
        """
        self.inputs = np.array(inputs, dtype=float).reshape(-1, 1)
        self.outputs = self.weights @ self.inputs + self.biases
        return self.activation(self.outputs)

    def backward(self, delta, alpha):
        """Backprop through this layer, update W and b, return delta for the layer below."""
        delta_z = np.multiply(delta, self.activation.derivative(self.outputs))
        grad_w = np.matmul(delta_z, self.inputs.T)
        grad_b = delta_z
        delta_below = np.matmul(self.weights.T, delta_z)
        self.weights -= alpha * grad_w
        self.biases -= alpha * grad_b
        return delta_below


class Perceptron:
    """A stack of layers trained by per-example SGD on binary cross-entropy."""

    def __init__(self, layers):
        self.layers = layers

    def forward(self, inputs):
        """Run the input through every layer and return the network's output."""
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def fit(self, X, Y, n_epochs, alpha):
        """Per-example SGD on binary cross-entropy."""
        Y = Y.reshape(-1, 1)
        for epoch in range(n_epochs):
            losses = []
            for x, y in zip(X, Y):
                out = self.forward(x)
                losses.append((-(y * np.log(out) + (1 - y) * np.log(1 - out))).item())
                delta = (out - y) / (out * (1 - out))
                i = len(self.layers) - 1
                while i >= 0:
                    delta = self.layers[i].backward(delta, alpha)
                    i -= 1
            average_loss = np.mean(losses)
            print(f'Loss at epoch {epoch + 1}: {average_loss:.3f}')


if __name__ == '__main__':
    network = Perceptron([Layer(2, 6, relu), Layer(6, 6, relu), Layer(6, 1, sigmoid)])
    network.fit(X_train, y_train, 30, 0.01)
    preds = np.array([network.forward(x).item() > 0.5 for x in X_train])
    print("train accuracy:", np.mean(preds == y_train))
