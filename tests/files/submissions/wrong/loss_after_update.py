"""Reference solution of the perceptron exercise.

A multilayer perceptron trained with per-example stochastic gradient descent on
the binary cross-entropy loss. Inputs and activations are column vectors.
"""

import os
import sys

import numpy as np

# The one shared utils.py lives in exercise/; this lets the file run from anywhere.
sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "exercise")
)

from utils import X_train, relu, sigmoid, y_train  # noqa: E402


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
        f'(z) with respect to the pre-activation ``z``.
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
        """Back-propagate dL/da through the layer and take one SGD step.

        dz = da * f'(z), dW = dz . x^T, db = dz and da_prev = W^T . dz, with W
        taken before the update. Then W <- W - lr dW and b <- b - lr db.

        Returns
        -------
        numpy.ndarray
            da_prev, the gradient with respect to the inputs, shape
            (n_inputs, 1).
        """
        dz = da * self.activation.derivative(self.outputs)
        d_weights = dz @ self.inputs.T
        d_biases = dz
        da_prev = self.weights.T @ dz
        self.weights = self.weights - learning_rate * d_weights
        self.biases = self.biases - learning_rate * d_biases
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
        """Train on each example in turn and print the average loss per epoch.

        The loss of one example is L = -(y log(y_hat) + (1 - y) log(1 - y_hat)),
        so dL/dy_hat = (y_hat - y) / (y_hat (1 - y_hat)).
        """
        for epoch in range(epochs):
            total_loss = 0.0
            for x, y in zip(training_data, labels):
                y_hat = self.forward(x)
                da = (y_hat - y) / (y_hat * (1 - y_hat))
                for layer in reversed(self.layers):
                    da = layer.backward(da, learning_rate)
                y_hat = self.forward(x)  # loss of the updated network
                loss = -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
                total_loss += loss.item()
            average_loss = total_loss / len(training_data)
            print(f"Loss at epoch {epoch + 1}: {average_loss:.3f}")


if __name__ == "__main__":
    network = Perceptron([Layer(2, 6, relu), Layer(6, 6, relu), Layer(6, 1, sigmoid)])
    network.fit(X_train, y_train, 30, 0.01)
