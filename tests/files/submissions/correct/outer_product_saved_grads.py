import numpy as np
import utils as u
from utils import relu, sigmoid


class Layer:
    def __init__(self, n_inputs, n_neurons, activation_function):
        self.weights = np.random.uniform(-1, 1, (n_neurons, n_inputs))
        self.biases = np.zeros((n_neurons, 1))
        self.activation = activation_function
        self.inputs = None
        self.outputs = None

    def forward(self, inputs):
        self.inputs = np.array(inputs, dtype=float).reshape(-1, 1)
        self.outputs = self.weights @ self.inputs + self.biases
        return self.activation(self.outputs)

    def backward(self, da, learning_rate):
        dz = da * self.activation.derivative(self.outputs)
        # keep the gradients on the layer so I can look at them later
        self.d_weights = np.outer(dz, self.inputs)
        self.d_biases = dz.copy()
        da_prev = np.dot(self.weights.T, dz)
        self.weights -= learning_rate * self.d_weights
        self.biases -= learning_rate * self.d_biases
        return da_prev


class Perceptron:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, inputs):
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def fit(self, training_data, labels, epochs, learning_rate):
        for epoch in range(epochs):
            running_loss = 0.0
            for x, y in zip(training_data, labels):
                y_hat = self.forward(x)
                running_loss += float(np.sum(-(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))))
                da = -(y / y_hat) + (1 - y) / (1 - y_hat)
                for layer in self.layers[::-1]:
                    da = layer.backward(da, learning_rate)
            average_loss = running_loss / len(training_data)
            print(f"Loss at epoch {epoch + 1}: {average_loss:.3f}")


layers = [Layer(2, 6, relu), Layer(6, 6, relu), Layer(6, 1, sigmoid)]
model = Perceptron(layers)
model.fit(u.X_train, u.y_train, 3, 0.01)
for layer in layers:
    print(layer.weights.shape, np.abs(layer.d_weights).max())
