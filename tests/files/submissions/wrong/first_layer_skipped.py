import numpy as np
import utils as u


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

    def backward(self, da, learning_rate):
        dz = da * self.activation.derivative(self.outputs)
        d_weights = dz @ self.inputs.T
        d_biases = dz
        da_prev = self.weights.T @ dz
        self.weights -= learning_rate * d_weights
        self.biases -= learning_rate * d_biases
        return da_prev


class Perceptron:
    """A stack of layers trained by per-example SGD on binary cross-entropy."""

    def __init__(self, layers):
        self.layers = layers

    def forward(self, inputs):
        """Run the input through every layer and return the network's output."""
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def fit(self, training_data, labels, epochs, learning_rate):
        for epoch in range(epochs):
            losses = []
            for x, y in zip(training_data, labels):
                y_hat = self.forward(x)
                losses.append((-(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))).item())
                da = (y_hat - y) / (y_hat * (1 - y_hat))
                # walk backwards through the layers
                for i in range(len(self.layers) - 1, 0, -1):
                    da = self.layers[i].backward(da, learning_rate)
            average_loss = np.mean(losses)
            print(f'Loss at epoch {epoch + 1}: {average_loss:.3f}')


net = Perceptron([Layer(2, 6, u.relu), Layer(6, 6, u.relu), Layer(6, 1, u.sigmoid)])
net.fit(u.X_train, u.y_train, 3, 0.01)
